use std::fmt;

/// A function's failure: its message is the invocation's error (the caller gets
/// 422 `Error: <message>`). Any `std::error::Error` converts into it, so `?` works on the usual
/// results; `Error::msg("…")` makes one from a message.
pub struct Error {
    message: String,
}

impl Error {
    pub fn msg(message: impl fmt::Display) -> Error {
        Error {
            message: message.to_string(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.message, f)
    }
}

// Error itself is not a std::error::Error, so this blanket conversion does not overlap `From<T> for T`.
impl<E: std::error::Error> From<E> for Error {
    fn from(error: E) -> Error {
        Error::msg(error)
    }
}
