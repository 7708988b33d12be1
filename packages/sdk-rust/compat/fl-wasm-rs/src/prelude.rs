use std::fmt;

pub use fl_wasm_rs_macros::FLFunction;

/// A function's failure; its text is the invocation's error message.
#[derive(Debug)]
pub enum FLError {
    ExecError(String),
    NotImplemented,
}

impl fmt::Display for FLError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FLError::ExecError(message) => write!(f, "error while executing function: {}", message),
            FLError::NotImplemented => f.write_str("function not implemented"),
        }
    }
}

impl std::error::Error for FLError {}

pub type FLResult = Result<serde_json::Value, FLError>;

/// One line in the invocation's logs.
pub fn console_log(s: &str) {
    funless::log(s);
}

/// An outbound request, built with `with_*` and sent with `send`.
pub struct FLRequest {
    method: funless::http::Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: String,
}

/// `status` is 0 when the request failed (the reason is in the logs).
pub struct FLResponse {
    pub body: String,
    pub status: u16,
}

impl Default for FLRequest {
    fn default() -> Self {
        FLRequest::new()
    }
}

impl FLRequest {
    pub fn new() -> FLRequest {
        FLRequest {
            method: funless::http::Method::Get,
            uri: String::new(),
            headers: Vec::new(),
            body: String::new(),
        }
    }

    /// GET, POST, PUT or DELETE; any other name keeps the method unchanged.
    pub fn with_method(mut self, method: impl AsRef<str>) -> FLRequest {
        use funless::http::Method;
        self.method = match method.as_ref() {
            "GET" => Method::Get,
            "POST" => Method::Post,
            "PUT" => Method::Put,
            "DELETE" => Method::Delete,
            _ => self.method,
        };
        self
    }

    pub fn with_header(mut self, key: impl Into<String>, value: impl Into<String>) -> FLRequest {
        self.headers.push((key.into(), value.into()));
        self
    }

    pub fn with_uri(mut self, uri: impl Into<String>) -> FLRequest {
        self.uri = uri.into();
        self
    }

    pub fn with_body(mut self, body: impl Into<String>) -> FLRequest {
        self.body = body.into();
        self
    }

    pub fn send(self) -> FLResponse {
        let mut request = funless::http::request(self.method, self.uri).body(self.body);
        for (key, value) in self.headers {
            request = request.header(key, value);
        }
        match request.send() {
            Ok(response) => FLResponse {
                body: response.text(),
                status: response.status,
            },
            Err(_) => FLResponse {
                body: String::new(),
                status: 0,
            },
        }
    }
}

/// The invocation's `req_len` bytes of JSON arguments.
pub fn get_input_data(req_len: i32) -> Vec<u8> {
    funless::abi::input(req_len as u32 as usize)
}

pub fn insert_response(r: &str) {
    funless::abi::respond(r.as_bytes());
}

pub fn insert_error(e: &str) {
    funless::abi::error(e);
}
