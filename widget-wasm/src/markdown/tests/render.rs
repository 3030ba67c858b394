//! Rendering, through the HTML sink the differential test also uses.

use super::super::render::to_html;
use super::super::*;

fn html(src: &str) -> String {
    to_html(&parse(src))
}

#[test]
fn headings_start_at_h3_and_follow_the_first_level() {
    assert_eq!(
        html("## A\n### B\n# C\n###### D"),
        "<h3>A</h3><h4>B</h4><h3>C</h3><h6>D</h6>"
    );
    assert_eq!(html("# A\n## B"), "<h3>A</h3><h4>B</h4>");
}

#[test]
fn code_blocks_get_a_label_and_a_copy_button() {
    assert_eq!(
        html("```rust\nlet x = \"s\"; // c\n```"),
        "<div class=\"gw-code\"><div class=\"gw-code-head\"><span>rust</span>\
         <button type=\"button\" class=\"gw-copy\">Copy code</button></div>\
         <pre tabindex=\"0\"><code class=\"language-rust\">let x = \"s\"; // c</code></pre></div>"
    );
    assert!(html("```\n<b>\n```").contains("<code>&lt;b&gt;</code>"));
}

#[test]
fn tables_scroll_in_a_focusable_region_and_keep_alignment() {
    assert_eq!(
        html("| a | b |\n|--:|---|\n| *1* | 2 |"),
        "<div class=\"gw-table\" tabindex=\"0\" role=\"group\" aria-label=\"Scrollable table\"><table>\
         <thead><tr><th class=\"gw-align-r\">a</th><th>b</th></tr></thead>\
         <tbody><tr><td class=\"gw-align-r\"><em>1</em></td><td>2</td></tr></tbody></table></div>"
    );
}

#[test]
fn tight_lists_have_no_paragraphs_and_loose_ones_do() {
    assert_eq!(html("- a\n- b"), "<ul><li>a</li><li>b</li></ul>");
    assert_eq!(
        html("3. a\n\n4. b"),
        "<ol start=\"3\"><li><p>a</p></li><li><p>b</p></li></ol>"
    );
}

#[test]
fn task_items_show_a_box_and_say_what_it_means() {
    assert_eq!(
        html("- [x] done\n- [ ] open"),
        "<ul><li class=\"gw-task\"><span class=\"gw-box gw-done\" aria-hidden=\"true\"></span>\
         <span class=\"gw-sr\">Done: </span>done</li><li class=\"gw-task\">\
         <span class=\"gw-box\" aria-hidden=\"true\"></span><span class=\"gw-sr\">To do: </span>open</li></ul>"
    );
}

#[test]
fn links_open_in_a_new_tab_without_referrer() {
    assert_eq!(
        html("[x](https://a.b/?q=\"1\"&r)"),
        "<p><a href=\"https://a.b/?q=&quot;1&quot;&amp;r\" rel=\"noopener noreferrer\" \
         target=\"_blank\">x</a></p>"
    );
}

#[test]
fn quotes_rules_breaks_and_strikethrough() {
    assert_eq!(
        html("> a\nb\n\n---\n~~c~~"),
        "<blockquote><p>a<br>b</p></blockquote><hr><p><del>c</del></p>"
    );
}
