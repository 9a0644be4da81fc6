"""The wheel carries the data the bot reads at run time: the text catalogs (``locales/*/LC_MESSAGES
/*.po``, compiled in memory by ``bot.i18n``) and the example profiles with their folders
(``profiles/``). They live beside ``bot/`` in the checkout, so ``build_py`` copies them into
``bot/bundled/`` of the build (``bot.ROOT`` looks there first). The editable install needs no copy:
it reads the checkout. Everything else is in pyproject.toml."""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
BUNDLE = {"locales": "*/LC_MESSAGES/*.po", "profiles": "**/*"}


class BuildWithData(build_py):
    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return
        target = Path(self.build_lib) / "bot" / "bundled"
        shutil.rmtree(target, ignore_errors=True)
        for folder, pattern in BUNDLE.items():
            for source in sorted((HERE / folder).glob(pattern)):
                if source.is_file():
                    dest = target / source.relative_to(HERE)
                    dest.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copy2(source, dest)


setup(cmdclass={"build_py": BuildWithData})
