use funless::{json, log, Value};

funless::function!(hello);

/// {"name":"X"} -> {"payload":"Hello X!"}; an error (422) without a name.
fn hello(input: Value) -> Result<Value, funless::Error> {
    let name = input["name"]
        .as_str()
        .ok_or_else(|| funless::Error::msg("missing argument: name"))?;
    log(&format!("greeting {}", name));
    Ok(json!({ "payload": format!("Hello {}!", name) }))
}
