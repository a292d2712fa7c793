//! https:// to a loopback server whose certificate no OS trusts (a private CA,
//! as on an internal GPU box): refused with the reason, and accepted once its
//! certificate is given (`--remote-ca`, `DESK_REMOTE_CA`).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use desk_remote::{Remote, RemoteConfig};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn tls_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/tls")
}

/// Serves `/v1/models` over TLS on 127.0.0.1; returns the `https://127.0.0.1:PORT` URL.
async fn tls_server() -> String {
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_file_iter(tls_dir().join("cert.pem")).unwrap().map(Result::unwrap).collect();
    let key = PrivateKeyDer::from_pem_file(tls_dir().join("key.pem")).unwrap();
    let config = rustls::ServerConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let acceptor = acceptor.clone();
            tokio::spawn(async move {
                let Ok(mut tls) = acceptor.accept(socket).await else { return };
                let mut buf = vec![0u8; 4096];
                let _ = tls.read(&mut buf).await;
                let body = r#"{"object":"list","data":[{"id":"codellama-34b-instruct","object":"model"}]}"#;
                let reply = format!("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                let _ = tls.write_all(reply.as_bytes()).await;
                let _ = tls.shutdown().await;
            });
        }
    });
    url
}

fn config(url: &str) -> RemoteConfig {
    let mut c = RemoteConfig::new(url);
    c.search = Vec::new();
    c
}

#[tokio::test]
async fn an_untrusted_certificate_is_refused_and_a_given_ca_is_trusted() {
    let url = tls_server().await;
    let err = desk_remote::list_models(&config(&url), &mut |_| {}).await.unwrap_err().to_string();
    assert!(err.contains("TLS handshake failed") && err.contains("certificate"), "{err}");

    let mut trusted = config(&url);
    trusted.ca = Some(tls_dir().join("cert.pem"));
    assert_eq!(desk_remote::list_models(&trusted, &mut |_| {}).await.unwrap(), ["codellama-34b-instruct"]);
    let remote = Remote::connect(trusted, &mut |_| {}).await.unwrap();
    assert_eq!(remote.model(), "codellama-34b-instruct");
    assert!(remote.warning.is_none(), "https needs no warning");

    let mut broken = config(&url);
    broken.ca = Some(tls_dir().join("make-cert.sh"));
    let err = desk_remote::list_models(&broken, &mut |_| {}).await.unwrap_err().to_string();
    assert!(err.contains("cannot use the CA file") && err.contains("make-cert.sh"), "{err}");
}
