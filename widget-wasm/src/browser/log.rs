//! Console output.

pub fn error(msg: &str) {
    web_sys::console::error_1(&msg.into());
}

pub fn info(msg: &str) {
    web_sys::console::info_1(&msg.into());
}

pub fn log(msg: &str) {
    web_sys::console::log_1(&msg.into());
}

pub fn warn(msg: &str) {
    web_sys::console::warn_1(&msg.into());
}
