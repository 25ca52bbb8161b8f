#!/usr/bin/env python3
"""Attributes of text on a tmux screen, for tests/terminal.sh.

Reads `tmux capture-pane -e -p` output (text with SGR sequences) on stdin.

terminal_cells.py same LINE_TEXT A B...
    In the first line containing LINE_TEXT, the cells of the first
    occurrence of each of A, B... all have one set of attributes (colour,
    bold, reverse...): exit 0, else print them and exit 1.
terminal_cells.py nocolour
    No cell anywhere has a colour (foreground or background) set: exit 0.
"""
import re
import sys

SGR = re.compile(r"\x1b\[([0-9;:]*)m")


def apply(state, params):
    ps = [int(p) if p else 0 for p in re.split("[;:]", params)] if params else [0]
    i = 0
    while i < len(ps):
        p = ps[i]
        if p == 0:
            state.clear()
        elif p in (38, 48):           # 38;5;N or 38;2;R;G;B
            key = "fg" if p == 38 else "bg"
            if i + 1 < len(ps) and ps[i + 1] == 5:
                state[key] = "5;%d" % ps[i + 2] if i + 2 < len(ps) else "5"
                i += 2
            elif i + 1 < len(ps) and ps[i + 1] == 2:
                state[key] = "2;" + ";".join(map(str, ps[i + 2:i + 5]))
                i += 4
        elif 30 <= p <= 37 or 90 <= p <= 97:
            state["fg"] = p
        elif p == 39:
            state.pop("fg", None)
        elif 40 <= p <= 47 or 100 <= p <= 107:
            state["bg"] = p
        elif p == 49:
            state.pop("bg", None)
        elif p in (22, 23, 24, 25, 27, 28, 29):
            off = {22: (1, 2), 23: (3,), 24: (4,), 25: (5,), 27: (7,),
                   28: (8,), 29: (9,)}[p]
            for a in off:
                state.pop("a%d" % a, None)
        else:
            state["a%d" % p] = True
        i += 1


def lines(text):
    """[(plain text, [attrs per character])] for each line."""
    state = {}
    out = []
    for raw in text.split("\n"):
        plain, attrs, pos = [], [], 0
        for m in SGR.finditer(raw):
            for ch in raw[pos:m.start()]:
                plain.append(ch)
                attrs.append(tuple(sorted(state.items())))
            apply(state, m.group(1))
            pos = m.end()
        for ch in raw[pos:]:
            plain.append(ch)
            attrs.append(tuple(sorted(state.items())))
        out.append(("".join(plain), attrs))
    return out


def main():
    text = sys.stdin.buffer.read().decode("utf-8", "replace")
    ls = lines(text)
    if sys.argv[1:2] == ["nocolour"]:
        bad = [(n + 1, p) for n, (p, a) in enumerate(ls)
               if any(k in ("fg", "bg") for cell in a for k, _ in cell)]
        for n, p in bad[:5]:
            print("# line %d has colour: %s" % (n, p.rstrip()))
        return 1 if bad else 0
    if sys.argv[1:2] == ["same"] and len(sys.argv) >= 5:
        want = sys.argv[2]
        for plain, attrs in ls:
            if want in plain:
                seen = []
                for t in sys.argv[3:]:
                    i = plain.find(t)
                    if i < 0:
                        print("# %r not on the line" % t)
                        return 1
                    seen.extend((t, a) for a in attrs[i:i + len(t)])
                first = seen[0][1]
                diff = [(t, a) for t, a in seen if a != first]
                if diff:
                    print("# %r: %s, but %r: %s" % (seen[0][0], first,
                                                   diff[0][0], diff[0][1]))
                    return 1
                return 0
        print("# no line contains %r" % want)
        return 1
    sys.exit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
