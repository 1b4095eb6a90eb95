//! The collector to load: `--url http://HOST:PORT[/base]`, posting to `<base>/v1/batch`.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    /// `HOST:PORT` to connect to.
    pub addr: String,
    /// The request path, `<base>/v1/batch`.
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UrlError(pub String);

impl fmt::Display for UrlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid --url: {}", self.0)
    }
}

impl std::error::Error for UrlError {}

impl Target {
    /// Only plain `http://` with an explicit port: the load generator measures the
    /// collector on loopback, where TLS and default ports have no place.
    pub fn parse(url: &str) -> Result<Self, UrlError> {
        let rest = url
            .strip_prefix("http://")
            .ok_or_else(|| UrlError(format!("{url:?} must start with http://")))?;
        let (addr, base) = rest.split_once('/').map_or((rest, ""), |(a, b)| (a, b));
        let port = addr
            .rsplit_once(':')
            .map(|(_, port)| port)
            .filter(|port| port.parse::<u16>().is_ok_and(|port| port > 0));
        if port.is_none() || addr.starts_with(':') {
            return Err(UrlError(format!("{url:?} needs a host and a port")));
        }
        if base.contains(['?', '#']) {
            return Err(UrlError(format!("{url:?} must not have a query")));
        }
        let base = base.trim_end_matches('/');
        let path = if base.is_empty() {
            "/v1/batch".to_owned()
        } else {
            format!("/{base}/v1/batch")
        };
        Ok(Self {
            addr: addr.to_owned(),
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_collector_urls() {
        let target = Target::parse("http://127.0.0.1:8080").unwrap();
        assert_eq!(
            target,
            Target {
                addr: "127.0.0.1:8080".into(),
                path: "/v1/batch".into()
            }
        );
        assert_eq!(
            Target::parse("http://localhost:9/").unwrap().path,
            "/v1/batch"
        );
        assert_eq!(
            Target::parse("http://localhost:9/collect/").unwrap().path,
            "/collect/v1/batch"
        );
        for bad in [
            "127.0.0.1:8080",
            "https://127.0.0.1:8080",
            "http://127.0.0.1",
            "http://127.0.0.1:0",
            "http://:80",
            "http://h:80/x?y",
        ] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }
}
