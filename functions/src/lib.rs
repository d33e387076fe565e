//! The form backend of Agora. Empty until the form-functions issue lands:
//! the crate exists now so the workspace has its final shape.
