//! Console output.

pub fn error(msg: &str) {
    web_sys::console::error_1(&msg.into());
}

pub fn info(msg: &str) {
    web_sys::console::info_1(&msg.into());
}
