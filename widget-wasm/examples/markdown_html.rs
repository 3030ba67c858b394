//! Renders markdown the way the widget does, as HTML, for the differential test against
//! markdown-it (`tests/markdown-spec/`): reads a JSON array of markdown strings on stdin,
//! writes a JSON array of HTML strings. The HTML comes from the same walk that builds the
//! widget's DOM (`markdown::render`), through its string sink.

use std::io::{Read, Write};

use widget_wasm::markdown::{parse, render::to_html};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let sources: Vec<String> = serde_json::from_str(&input)?;
    let html: Vec<String> = sources.iter().map(|s| to_html(&parse(s))).collect();
    std::io::stdout().write_all(serde_json::to_string(&html)?.as_bytes())?;
    Ok(())
}
