"""Exact values of closed-form numeric answers (`2^{10}`, `\\frac{1}{2^{98}}`, `-\\frac{3}{4}+1`, `1011_2`,
matrices of such numbers), with Python's integers and `Fraction`: no floats, no sympy. Pure functions.

Why: math-verify compares numbers in floating point (`(a - b).evalf(chop=True, n=15) == 0`, and rounding to 6
decimals when a float is involved), so `\\frac{1}{2^{98}}` and `\\frac{1}{2^{99}}` come out "equal"; it also
drops a base subscript (`1011_2` = `1011_3`). Exact arithmetic decides such pairs both ways. Anything outside
this small grammar (symbols, roots, implicit products such as `2\\frac{1}{2}`) gives None: undecided.
"""

from __future__ import annotations

import re
from fractions import Fraction

MAX_EXPONENT = 10_000  # 2^{4181} is a real MATH gold; the bounds keep adversarial input cheap
MAX_BITS = 40_000  # bits of one power's result
_TOKEN = re.compile(r"\s*(\d+\.\d*|\.\d+|\d+|\\frac|\\cdot|\\times|[-+*/^(){}])")
_BASE = re.compile(r"^(-?[0-9A-Za-z]+)_\{?(\d+)\}?$")
_MATRIX = re.compile(r"^\\begin\{([pbv]?matrix)\}(.*)\\end\{\1\}$", re.DOTALL)
_CHAIN = re.compile(r"=|\\approx")


class _Undecided(Exception):
    pass


class _Parser:
    def __init__(self, text: str):
        self.toks, pos = [], 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:
                raise _Undecided
            self.toks.append(m.group(1))
            pos = m.end()
        self.i = 0
        self.decimal = any("." in t for t in self.toks)

    def peek(self) -> str | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self, want: str | None = None) -> str:
        t = self.peek()
        if t is None or (want is not None and t != want):
            raise _Undecided
        self.i += 1
        return t

    def expr(self) -> Fraction:
        v = self.term()
        while self.peek() in ("+", "-"):
            v = v + self.term() if self.take() == "+" else v - self.term()
        return v

    def term(self) -> Fraction:
        v = self.unary()
        while self.peek() in ("*", "/", "\\cdot", "\\times"):
            op = self.take()
            w = self.unary()
            if op == "/" and w == 0:
                raise _Undecided
            v = v / w if op == "/" else v * w
        return v

    def unary(self) -> Fraction:
        if self.peek() in ("-", "+"):
            return -self.unary() if self.take() == "-" else self.unary()
        return self.power()

    def power(self) -> Fraction:
        base = self.atom()
        if self.peek() != "^":
            return base
        self.take()
        if self.peek() in ("{", "(", "-"):
            e = self.unary()
        else:
            t = self.take()
            if not t.isdigit() or len(t) > 1:  # "2^23" is 2^2·3 in LaTeX: a product we do not guess at
                raise _Undecided
            e = Fraction(int(t))
        if e.denominator != 1 or abs(e) > MAX_EXPONENT or (base == 0 and e < 0):
            raise _Undecided
        if max(abs(base.numerator), base.denominator).bit_length() * abs(int(e)) > MAX_BITS:
            raise _Undecided
        return base ** int(e)

    def atom(self) -> Fraction:
        t = self.take()
        if t in ("(", "{"):
            v = self.expr()
            self.take(")" if t == "(" else "}")
            return v
        if t == "\\frac":
            self.take("{")
            num = self.expr()
            self.take("}")
            self.take("{")
            den = self.expr()
            self.take("}")
            if den == 0:
                raise _Undecided
            return num / den
        if t[0].isdigit() or t[0] == ".":
            if self.peek() is not None and (self.peek()[0].isdigit() or self.peek() in ("(", "\\frac")):
                raise _Undecided  # "2\frac{1}{2}" (a mixed number or a product?) or "2 3"
            return Fraction(t)
        raise _Undecided


def exact_value(canon: str) -> tuple[Fraction, bool] | None:
    """(value, written with a decimal point) of a canonical numeric answer, or None when undecided."""
    try:
        p = _Parser(canon)
        v = p.expr()
        if p.peek() is not None:
            return None
        return v, p.decimal
    except (_Undecided, ValueError, ZeroDivisionError, OverflowError):
        return None


def _numbers_differ(a: str, b: str) -> bool | None:
    """True / False when both are exact numbers that differ beyond any rounding math-verify applies; None if
    either is not an exact number. Decimals are compared with a 1e-4 relative margin: math-verify rounds to 6
    decimals, so within that margin a decimal may be a rounded form of the other value."""
    va, vb = exact_value(a), exact_value(b)
    if va is None or vb is None:
        return None
    (x, dx), (y, dy) = va, vb
    if not (dx or dy):
        return x != y
    return abs(x - y) > Fraction(1, 10**4) * max(1, abs(x), abs(y))


def _cells(canon: str) -> list[list[str]] | None:
    m = _MATRIX.match(canon)
    return [row.split("&") for row in m.group(2).split("\\\\")] if m else None


def values_differ(gold_canon: str, cand_canon: str) -> bool:
    """True when exact arithmetic proves the two canonical answers have different values (numbers, `a = b`
    chains of numbers, base-b numerals, matrices of numbers). False means "not proven different"."""
    bg, bc = _BASE.match(gold_canon), _BASE.match(cand_canon)
    if bg and bc:
        return (bg.group(1).lower(), int(bg.group(2))) != (bc.group(1).lower(), int(bc.group(2)))
    mg, mc = _cells(gold_canon), _cells(cand_canon)
    if mg is not None and mc is not None:
        if [len(r) for r in mg] != [len(r) for r in mc]:
            return True
        return any(_numbers_differ(a, b) for ra, rb in zip(mg, mc) for a, b in zip(ra, rb))
    pg, pc = _CHAIN.split(gold_canon), _CHAIN.split(cand_canon)
    if len(pg) == len(pc):
        return any(_numbers_differ(a, b) for a, b in zip(pg, pc))
    return False
