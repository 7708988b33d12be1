//! Outbound HTTP over `__http_request` (docs/functions.md#a-funless-abi): synchronous, the
//! function waits for the answer. Where a function may connect is the platform's choice
//! (docs/runtime.md#where-functions-may-connect).

use std::fmt;

use crate::abi;

/// The methods the ABI carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Get = 0,
    Post = 1,
    Put = 2,
    Delete = 3,
}

/// Room reserved for a response body unless [`Request::max_response_bytes`] says otherwise.
pub const DEFAULT_MAX_RESPONSE_BYTES: u32 = 1 << 20;

/// A request being built: `http::get(url).header("Accept", "application/json").send()?`.
#[derive(Clone, Debug)]
pub struct Request {
    method: Method,
    url: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    max_response_bytes: u32,
}

/// An answer: the status and the body (the ABI carries no response headers).
#[derive(Clone, Debug)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// The request got no answer: refused by the platform, a network error, a timeout, or a body
/// larger than the room reserved for it. The platform writes why into the invocation's logs.
#[derive(Clone, Debug)]
pub struct Error {
    pub method: Method,
    pub url: String,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:?} {} failed (the invocation's logs say why)",
            self.method, self.url
        )
    }
}

impl std::error::Error for Error {}

pub fn request(method: Method, url: impl Into<String>) -> Request {
    Request {
        method,
        url: url.into(),
        headers: Vec::new(),
        body: Vec::new(),
        max_response_bytes: DEFAULT_MAX_RESPONSE_BYTES,
    }
}

pub fn get(url: impl Into<String>) -> Request {
    request(Method::Get, url)
}

pub fn post(url: impl Into<String>) -> Request {
    request(Method::Post, url)
}

pub fn put(url: impl Into<String>) -> Request {
    request(Method::Put, url)
}

pub fn delete(url: impl Into<String>) -> Request {
    request(Method::Delete, url)
}

impl Request {
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Request {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn body(mut self, body: impl Into<Vec<u8>>) -> Request {
        self.body = body.into();
        self
    }

    /// A JSON body, with `Content-Type: application/json`.
    pub fn json<T: serde::Serialize + ?Sized>(
        self,
        value: &T,
    ) -> Result<Request, serde_json::Error> {
        let body = serde_json::to_vec(value)?;
        Ok(self.header("Content-Type", "application/json").body(body))
    }

    /// The largest body accepted; a longer one fails the request rather than being cut.
    /// @default 1 MiB ([`DEFAULT_MAX_RESPONSE_BYTES`])
    pub fn max_response_bytes(mut self, bytes: u32) -> Request {
        self.max_response_bytes = bytes;
        self
    }

    pub fn send(self) -> Result<Response, Error> {
        let headers: Vec<String> = self
            .headers
            .iter()
            .map(|(k, v)| format!("{}:{}", k, v))
            .collect();
        let (status, body) = abi::http_request(
            self.method as u32,
            &self.url,
            &headers.join("\n"),
            &self.body,
            self.max_response_bytes,
        );
        if status == 0 {
            return Err(Error {
                method: self.method,
                url: self.url,
            });
        }
        Ok(Response { status, body })
    }
}

impl Response {
    /// A 2xx status.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The body as UTF-8 text (invalid sequences replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.body)
    }
}
