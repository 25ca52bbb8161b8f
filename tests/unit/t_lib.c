/* lib/: error messages made visible (err_visible through err_set), the
 * UTF-8 safety helpers the terminal output relies on, FNV-1a. */
#include "config.h"
#include "tests/unit/tap.h"
#include "lib/err.h"
#include "lib/strutil.h"
#include "lib/utf8.h"

#include <string.h>

static void
test_err_visible(void)
{
	struct ld_err e;
	char small[12];

	err_set(&e, LD_EUSAGE, "cannot open %s", "caf\xc3\xa9 \xe2\x80\x94 ok");
	is_str(e.msg, "cannot open caf\xc3\xa9 \xe2\x80\x94 ok",
	    "printable UTF-8 (any locale) is left as is");
	err_set(&e, LD_NOMATCH, "id '%s'", "x\x1b]0;T\x07y");
	is_str(e.msg, "id 'x\\e]0;T\\x07y'", "ESC and BEL made visible");
	err_set(&e, LD_NOMATCH, "%s", "a\xc2\x9b" "2J\xe2\x80\xae" "b\xff" "c\r\n");
	is_str(e.msg, "a\\u{009b}2J\\u{202e}b\\xffc\\r\\n",
	    "C1, bidi override, invalid byte, CR and LF made visible");
	ok(e.status == LD_NOMATCH, "the status is kept");

	strcpy(small, "ab\x1b" "cdefgh");
	err_visible(small, sizeof small);
	is_str(small, "ab\\ecdefgh", "fits: escaped in place");
	strcpy(small, "\x1b\x1b\x1b\x1b\x1b\x1b");
	err_visible(small, sizeof small);
	is_str(small, "\\e\\e\\e\\e\\e", "too long: whole escapes only");
	strcpy(small, "\x1b" "abcdefgh\xc3\xa9");
	err_visible(small, sizeof small);
	is_str(small, "\\eabcdefgh", "too long: never half a character");
}

static void
test_utf8(void)
{
	ok(utf8_cp_unsafe(0x1b) && utf8_cp_unsafe(0x7f) && utf8_cp_unsafe(0x9b) &&
	    utf8_cp_unsafe(0x202e) && utf8_cp_unsafe(0x2066) && utf8_cp_unsafe(0x200f) &&
	    utf8_cp_unsafe(0x2028), "controls, C1, bidi and separators are unsafe");
	ok(!utf8_cp_unsafe('a') && !utf8_cp_unsafe(0xe9) && !utf8_cp_unsafe(0x2014) &&
	    !utf8_cp_unsafe(0x1f600), "letters, dashes and emoji are safe");
	is_num((double)utf8_safe_prefix("ab\xe2\x80\x94" "c", 6), 6, 0, "all safe: n");
	is_num((double)utf8_safe_prefix("ab\xe2\x80\xae" "c", 6), 2, 0, "stops at U+202E");
	is_num((double)utf8_safe_prefix("ab\xe2\x80", 4), 2, 0, "stops at a cut sequence");
	is_num((double)utf8_safe_prefix("a\xc0\xaf", 3), 1, 0, "stops at an overlong form");
	ok(utf8_seq_len('a') == 1 && utf8_seq_len(0xc3) == 2 && utf8_seq_len(0xe2) == 3 &&
	    utf8_seq_len(0xf0) == 4 && utf8_seq_len(0x80) == 0 && utf8_seq_len(0xc1) == 0 &&
	    utf8_seq_len(0xf5) == 0, "sequence lengths from the lead byte");
}

static void
test_fnv(void)
{
	/* test vectors of draft-eastlake-fnv, FNV-1a 64 */
	ok(fnv1a64(FNV1A64_INIT, "", 0) == UINT64_C(0xcbf29ce484222325), "fnv1a64 \"\"");
	ok(fnv1a64(FNV1A64_INIT, "a", 1) == UINT64_C(0xaf63dc4c8601ec8c), "fnv1a64 \"a\"");
	ok(fnv1a64(FNV1A64_INIT, "foobar", 6) == UINT64_C(0x85944171f73967e8),
	    "fnv1a64 \"foobar\"");
	ok(fnv1a64(fnv1a64(FNV1A64_INIT, "foo", 3), "bar", 3) ==
	    fnv1a64(FNV1A64_INIT, "foobar", 6), "continued = whole");
}

int
main(void)
{
	test_err_visible();
	test_utf8();
	test_fnv();
	return tap_done();
}
