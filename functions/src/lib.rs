//! The form backend of Agora: form definitions and the validation of
//! submissions ([`forms`]), Polish grammar ([`polish`]).

pub mod forms;
pub mod polish;
