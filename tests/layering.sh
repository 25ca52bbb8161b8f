#!/bin/sh
# DESIGN §5 layering: no curses outside tui/ and views/; backends/,
# queries/ and lib/ include nothing from views/ or tui/. TAP output.
cd "${srcdir:-.}" || exit 1
n=0
check() {
	n=$((n + 1))
	if [ -z "$2" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1"
		echo "$2" | sed 's/^/#   /'
	fi
}
check "no curses in lib/ queries/ backends/" \
    "$(grep -nE '#[[:space:]]*include[[:space:]]*[<"](n?curses|ncursesw/|term\.h|panel\.h)' lib queries backends -r --include='*.[ch]')"
check "lib/ queries/ backends/ do not include tui/ or views/" \
    "$(grep -nE '#[[:space:]]*include[[:space:]]*"(tui|views)/' lib queries backends -r --include='*.[ch]')"
check "lib/ knows nothing of logdive's layers" \
    "$(grep -nE '#[[:space:]]*include[[:space:]]*"(queries|backends)/' lib -r --include='*.[ch]')"
check "views/ see only backends/backend.h of the backends" \
    "$(grep -nE '#[[:space:]]*include[[:space:]]*"backends/' views -r --include='*.[ch]' | grep -v 'backends/backend.h')"
echo "1..$n"
