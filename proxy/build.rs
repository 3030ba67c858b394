//! Rebuilds the proxy when the widget bundle it may embed changes (feature `embed-widget`).
fn main() {
    println!("cargo:rerun-if-changed=../target/widget-dist");
    println!("cargo:rerun-if-changed=build.rs");
}
