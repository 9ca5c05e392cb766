"""Package the extension as OpenCart 4's installer expects: ``dist/ocdata_webhooks.ocmod.zip``.

The archive's name is the extension code (``ocdata_webhooks``); it holds ``install.json`` and the
``admin/``, ``catalog/`` and ``system/`` folders at its root, which the installer copies to
``extension/ocdata_webhooks/``. Run ``python extras/opencart-webhooks/build.py``.
"""

from __future__ import annotations

import sys
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "src"
CODE = "ocdata_webhooks"


def build(out_dir: Path = HERE / "dist") -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / f"{CODE}.ocmod.zip"
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(SRC.rglob("*")):
            if path.is_file():
                # a fixed timestamp keeps the archive byte-identical from one build to the next
                info = zipfile.ZipInfo(path.relative_to(SRC).as_posix(), date_time=(2026, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                archive.writestr(info, path.read_bytes())
    return target


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "dist"))
