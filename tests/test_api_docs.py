"""``/docs`` needs no CDN: every asset its page names is served by the hub itself."""

from __future__ import annotations

import re

from hubtest_plugins import StaticProvider

from hub_core.testing import app_client, make_hub


async def test_docs_page_names_only_local_assets_and_each_loads():
    async with app_client(make_hub({"ok": StaticProvider("ok")})) as client:
        page = await client.get("/docs")
        assert page.status_code == 200 and "swagger" in page.text.lower()
        urls = re.findall(r"""(?:src|href|url)\s*[=:]\s*['"]([^'"]+)['"]""", page.text)
        assert urls and all(u.startswith("/") and not u.startswith("//") for u in urls), urls
        assert "cdn" not in page.text.lower()
        loaded = {u: await client.get(u) for u in urls}
    assert all(r.status_code == 200 for r in loaded.values()), {u: r.status_code for u, r in loaded.items()}
    script = next(r for u, r in loaded.items() if u.endswith(".js"))
    assert "SwaggerUIBundle" in script.text
    assert any(u.endswith(".css") for u in loaded) and "/openapi.json" in loaded
