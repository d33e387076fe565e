//! The AWS SDK's configuration, one way for every client (DynamoDB, SES).

use aws_config::environment::region::EnvironmentVariableRegionProvider;
use aws_config::imds::region::ImdsRegionProvider;
use aws_config::meta::region::RegionProviderChain;
use aws_config::profile::ProfileFileRegionProvider;
use aws_config::provider_config::ProviderConfig;
use aws_config::{BehaviorVersion, ConfigLoader, Region};
use aws_sdk_dynamodb::config::SharedHttpClient;
use aws_smithy_http_client::tls::{rustls_provider::CryptoMode, Provider};

/// The SDK's usual configuration from the environment (credentials,
/// region), with [`https_client`].
pub fn config_loader() -> ConfigLoader {
    aws_config::defaults(BehaviorVersion::latest()).http_client(https_client())
}

/// The HTTP(S) client of every SDK client: rustls on ring. The SDK's
/// default client brings aws-lc, a large C library, which would only make
/// the Lambda binaries bigger and their build slower.
pub fn https_client() -> SharedHttpClient {
    aws_smithy_http_client::Builder::new()
        .tls_provider(Provider::Rustls(CryptoMode::Ring))
        .build_https()
}

/// The region: `explicit`, else the SDK's own chain (`AWS_REGION`, the
/// profile, the instance metadata), else `fallback`. The chain is put
/// together here because the SDK's ready-made one would reach the
/// instance metadata without an HTTP client.
pub fn region(explicit: Option<String>, fallback: &'static str) -> RegionProviderChain {
    let config = ProviderConfig::default().with_http_client(https_client());
    RegionProviderChain::first_try(explicit.map(Region::new))
        .or_else(EnvironmentVariableRegionProvider::new())
        .or_else(
            ProfileFileRegionProvider::builder()
                .configure(&config)
                .build(),
        )
        .or_else(ImdsRegionProvider::builder().configure(&config).build())
        .or_else(fallback)
}
