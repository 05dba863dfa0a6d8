"""Main text that pages carry only in JSON-LD (schema.org): `articleBody` of news pages whose HTML body is filled
by JavaScript, and Recipe/HowTo ingredients and steps that recipe plugins render outside the article markup."""

from __future__ import annotations

import html as html_lib
import json
import re

ARTICLE_BODY_SHARE = 0.5  # extracted text shorter than half the articleBody: the HTML lost the article
_BLOCK_TAG = re.compile(r"</?(p|div|br|li|ul|ol|h[1-6]|tr|table|section|blockquote)\b[^>]*>", re.IGNORECASE)
_TAG = re.compile(r"<[^>]+>")
_SPACES = re.compile(r"[ \t\r\f\v]+")


def _plain(s: str) -> str:
    """JSON-LD strings may hold HTML (<p>…</p>) and entities."""
    if "&lt;" in s:  # HTML escaped once more inside the JSON string
        s = html_lib.unescape(s)
    s = html_lib.unescape(_TAG.sub("", _BLOCK_TAG.sub("\n", s))) if "<" in s or "&" in s else s
    return "\n".join(x for x in (_SPACES.sub(" ", line).strip() for line in s.split("\n")) if x)


def _nodes(obj):
    if isinstance(obj, dict):
        yield obj
        for v in obj.values():
            yield from _nodes(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from _nodes(v)


def _types(node: dict) -> set[str]:
    t = node.get("@type")
    return set(t) if isinstance(t, list) else {t} if isinstance(t, str) else set()


def _step_texts(steps) -> list[str]:
    """recipeInstructions / step: strings, HowToStep {text}, or HowToSection {itemListElement: [...]}."""
    out: list[str] = []
    for s in steps if isinstance(steps, list) else [steps]:
        if isinstance(s, str):
            out.append(s)
        elif isinstance(s, dict):
            if isinstance(s.get("text"), str):
                out.append(s["text"])
            out += _step_texts(s.get("itemListElement") or [])
    return out


def parse_json_ld(blocks: list[str]) -> tuple[str, list[str]]:
    """(longest articleBody, Recipe/HowTo lines: description, ingredients, steps)."""
    body, lines = "", []
    for block in blocks:
        try:
            data = json.loads(block, strict=False)
        except ValueError:
            continue  # a broken JSON-LD block is common and harmless: the HTML is still extracted
        for node in _nodes(data):
            if isinstance(node.get("articleBody"), str) and len(node["articleBody"]) > len(body):
                body = node["articleBody"]
            if _types(node) & {"Recipe", "HowTo"}:
                if isinstance(node.get("description"), str):
                    lines.append(node["description"])
                ingredients = node.get("recipeIngredient") or []
                lines += [
                    i
                    for i in (ingredients if isinstance(ingredients, list) else [ingredients])
                    if isinstance(i, str)
                ]
                lines += _step_texts(node.get("recipeInstructions") or node.get("step") or [])
    return _plain(body), [p for line in lines for p in _plain(line).split("\n")]


def structured_text(text: str, ld_blocks: list[str]) -> str:
    if not ld_blocks:
        return text
    body, lines = parse_json_ld(ld_blocks)
    if body and len(text) < ARTICLE_BODY_SHARE * len(body):
        text = body
    missing = [line for line in dict.fromkeys(lines) if line not in text]
    return text + "\n" + "\n".join(missing) if missing else text
