//! The host functions of the FunLess ABI (module `fl_imps`, docs/functions.md#a-funless-abi), raw.
//! Outside wasm32 (a native `cargo test` of a function's logic) there is no host: logs go to
//! stderr and HTTP requests fail.

#[cfg(target_arch = "wasm32")]
mod host {
    #[link(wasm_import_module = "fl_imps")]
    extern "C" {
        pub fn __get_input_data(ptr: *mut u8);
        pub fn __insert_response(ptr: *const u8, len: usize);
        pub fn __insert_error(ptr: *const u8, len: usize);
        pub fn __console_log(ptr: *const u8, len: usize);
        pub fn __http_request(
            resp_ptr: *mut u8,
            resp_len_ptr: *mut u32,
            status_ptr: *mut u16,
            method: u32,
            uri_ptr: *const u8,
            uri_len: usize,
            hdr_ptr: *const u8,
            hdr_len: usize,
            body_ptr: *const u8,
            body_len: usize,
        );
    }
}

/// The invocation's JSON arguments, `len` bytes.
pub fn input(len: usize) -> Vec<u8> {
    #[cfg(target_arch = "wasm32")]
    {
        let mut buf = Vec::<u8>::with_capacity(len);
        // SAFETY: the host writes exactly `len` bytes at the pointer, into the capacity reserved above.
        unsafe {
            host::__get_input_data(buf.as_mut_ptr());
            buf.set_len(len);
        }
        buf
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = len;
        Vec::new()
    }
}

pub fn respond(json: &[u8]) {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: the host only reads the range.
    unsafe {
        host::__insert_response(json.as_ptr(), json.len())
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = json;
}

pub fn error(message: &str) {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: the host only reads the range.
    unsafe {
        host::__insert_error(message.as_ptr(), message.len())
    }
    #[cfg(not(target_arch = "wasm32"))]
    let _ = message;
}

pub fn console_log(line: &str) {
    #[cfg(target_arch = "wasm32")]
    // SAFETY: the host only reads the range.
    unsafe {
        host::__console_log(line.as_ptr(), line.len())
    }
    #[cfg(not(target_arch = "wasm32"))]
    eprintln!("{}", line);
}

/// Sends one request; `room` bytes are reserved for the body and declared to the host, which
/// never writes more (a longer body fails). Returns the status (0: failed) and the body.
pub fn http_request(
    method: u32,
    uri: &str,
    headers: &str,
    body: &[u8],
    room: u32,
) -> (u16, Vec<u8>) {
    #[cfg(target_arch = "wasm32")]
    {
        let mut buf = Vec::<u8>::with_capacity(room as usize);
        let mut len: u32 = room;
        let mut status: u16 = 0;
        // SAFETY: the host writes at most `len` (the declared room) bytes at `buf`, and the
        // status and length at their own variables.
        unsafe {
            host::__http_request(
                buf.as_mut_ptr(),
                &mut len,
                &mut status,
                method,
                uri.as_ptr(),
                uri.len(),
                headers.as_ptr(),
                headers.len(),
                body.as_ptr(),
                body.len(),
            );
            buf.set_len(if status == 0 {
                0
            } else {
                (len as usize).min(room as usize)
            });
        }
        (status, buf)
    }
    #[cfg(not(target_arch = "wasm32"))]
    {
        let _ = (method, uri, headers, body, room);
        (0, Vec::new())
    }
}
