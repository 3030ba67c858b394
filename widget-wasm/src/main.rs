//! Entry point: wasm-bindgen runs `main` when the loader initialises the module.

fn main() {
    widget_wasm::start();
}
