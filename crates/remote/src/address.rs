//! Which servers may be contacted, and how: `https://` anywhere, `http://`
//! only where the traffic stays on this machine or a private network.

use std::net::{IpAddr, SocketAddr};

use desk_engine::EngineError;
use reqwest::Url;

/// A configured server, its name resolved once and checked.
#[derive(Debug, Clone)]
pub struct Address {
    /// Where the OpenAI-compatible routes live (`…/v1`).
    pub api: Url,
    /// The server's root, for llama-server's own routes (`/tokenize`, `/props`).
    pub root: Url,
    pub host: String,
    /// The addresses the name resolved to; every connection goes to one of these.
    pub addrs: Vec<SocketAddr>,
    /// Said to the person once: plain http on a private network.
    pub warning: Option<String>,
}

impl Address {
    /// `raw` is what the person typed: `http://127.0.0.1:8080`, `…/v1`, `https://gpu.example.com/v1`.
    pub async fn check(raw: &str) -> Result<Address, EngineError> {
        Self::check_with(raw, |host, port| async move { tokio::net::lookup_host((host.as_str(), port)).await.map(|a| a.collect()) }).await
    }

    /// [`check`](Self::check) with the name lookup given (tests fail it without a resolver).
    pub async fn check_with<F, Fut>(raw: &str, resolve: F) -> Result<Address, EngineError>
    where
        F: FnOnce(String, u16) -> Fut,
        Fut: std::future::Future<Output = std::io::Result<Vec<SocketAddr>>>,
    {
        let raw = raw.trim();
        let bad = |why: String| EngineError::Remote(format!("the server address {raw:?} {why}"));
        let url = Url::parse(raw).map_err(|e| bad(format!("is not a URL ({e}); write it as http://HOST:PORT or https://HOST")))?;
        let secure = match url.scheme() {
            "https" => true,
            "http" => false,
            other => return Err(bad(format!("uses {other}://; only http:// and https:// servers are supported"))),
        };
        let host = url.host_str().filter(|h| !h.is_empty()).ok_or_else(|| bad("has no host".into()))?.to_string();
        let port = url.port_or_known_default().unwrap_or(if secure { 443 } else { 80 });
        let bare = host.trim_start_matches('[').trim_end_matches(']').to_string();
        let addrs: Vec<SocketAddr> = match resolve(bare.clone(), port).await {
            Ok(found) => found,
            Err(e) => return Err(EngineError::Remote(format!("cannot resolve the server name {host:?} ({e}); check the address or your network"))),
        };
        if addrs.is_empty() {
            return Err(EngineError::Remote(format!("the server name {host:?} resolves to no address")));
        }
        let mut warning = None;
        if !secure {
            if let Some(public) = addrs.iter().find(|a| !is_local(a.ip())) {
                return Err(bad(format!(
                    "is plain http:// to a public address ({}); that would send your code and key unencrypted over the internet. Use https://, or a loopback or private address",
                    public.ip()
                )));
            }
            if !addrs.iter().all(|a| a.ip().is_loopback()) {
                warning = Some(format!("{host} is reached over plain http://: your code and the key cross your local network unencrypted"));
            }
        }
        let mut api = url.clone();
        api.set_query(None);
        api.set_fragment(None);
        let path = api.path().trim_end_matches('/').to_string();
        let (api_path, root_path) = match path.strip_suffix("/v1") {
            Some(root) => (path.clone(), root.to_string()),
            None => (format!("{path}/v1"), path.clone()),
        };
        api.set_path(&format!("{api_path}/"));
        let mut root = api.clone();
        root.set_path(&format!("{root_path}/"));
        Ok(Address { api, root, host, addrs, warning })
    }

    /// `route` under the OpenAI-compatible base (`models`, `completions`).
    pub fn api_url(&self, route: &str) -> Url {
        self.api.join(route).unwrap_or_else(|_| self.api.clone())
    }
    /// `route` under the server's root (`tokenize`, `props`).
    pub fn root_url(&self, route: &str) -> Url {
        self.root.join(route).unwrap_or_else(|_| self.root.clone())
    }
    /// How messages name the server.
    pub fn shown(&self) -> String {
        self.root.as_str().trim_end_matches('/').to_string()
    }
}

/// Loopback, private (RFC 1918, unique local), link-local and carrier-grade
/// NAT ranges (where VPN meshes such as Tailscale put machines).
pub fn is_local(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback() || v4.is_private() || v4.is_link_local() || (a == 100 && (64..128).contains(&b))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_local(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn plain_http_is_for_loopback_and_private_addresses_only() {
        let local = Address::check("http://127.0.0.1:8080").await.unwrap();
        assert_eq!(local.api.as_str(), "http://127.0.0.1:8080/v1/");
        assert_eq!(local.root.as_str(), "http://127.0.0.1:8080/");
        assert!(local.warning.is_none());
        let private = Address::check("http://192.168.1.20:8000/v1").await.unwrap();
        assert_eq!(private.api_url("models").as_str(), "http://192.168.1.20:8000/v1/models");
        assert_eq!(private.root_url("tokenize").as_str(), "http://192.168.1.20:8000/tokenize");
        assert!(private.warning.unwrap().contains("unencrypted"));
        let public = Address::check("http://8.8.8.8/v1").await.unwrap_err().to_string();
        assert!(public.contains("public address") && public.contains("https://"), "{public}");
        let ftp = Address::check("ftp://127.0.0.1").await.unwrap_err().to_string();
        assert!(ftp.contains("ftp://"), "{ftp}");
        let garbage = Address::check("not a url").await.unwrap_err().to_string();
        assert!(garbage.contains("not a URL"), "{garbage}");
    }

    #[tokio::test]
    async fn a_name_that_does_not_resolve_says_so() {
        let failing = |_: String, _: u16| async { Err(std::io::Error::other("failed to lookup address information: Name or service not known")) };
        let err = Address::check_with("https://gpu-box.example:8000/v1", failing).await.unwrap_err().to_string();
        assert!(err.contains("cannot resolve the server name \"gpu-box.example\"") && err.contains("Name or service not known"), "{err}");
        // A name resolving to a public address over plain http is refused whatever it is called.
        let public = |_: String, port: u16| async move { Ok(vec![SocketAddr::from(([93, 184, 215, 14], port))]) };
        let err = Address::check_with("http://my-box.lan:8080", public).await.unwrap_err().to_string();
        assert!(err.contains("public address (93.184.215.14)"), "{err}");
        let private = |_: String, port: u16| async move { Ok(vec![SocketAddr::from(([192, 168, 1, 7], port))]) };
        let ok = Address::check_with("http://my-box.lan:8080", private).await.unwrap();
        assert_eq!(ok.addrs, vec![SocketAddr::from(([192, 168, 1, 7], 8080))]);
        assert!(ok.warning.is_some());
    }

    #[tokio::test]
    async fn a_path_prefix_is_kept() {
        let a = Address::check("http://[::1]:9000/llm/v1/").await.unwrap();
        assert_eq!(a.api_url("completions").as_str(), "http://[::1]:9000/llm/v1/completions");
        assert_eq!(a.root_url("props").as_str(), "http://[::1]:9000/llm/props");
    }

    #[test]
    fn private_ranges() {
        for ip in ["10.1.2.3", "172.16.0.1", "192.168.0.1", "169.254.1.1", "100.100.1.1", "::1", "fd00::1", "fe80::1", "::ffff:10.0.0.1"] {
            assert!(is_local(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["8.8.8.8", "172.32.0.1", "100.128.0.1", "2001:4860::8888"] {
            assert!(!is_local(ip.parse().unwrap()), "{ip}");
        }
    }
}
