"""tools/uv_args.py: make setup's uv gets the package sources that pip is configured with."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import uv_args  # noqa: E402  (tools/ is not a package)

# What `pip config list` prints on a machine with a pip.conf and PIP_* variables (this one's, roughly).
CONFIG = """\
:env:.default-timeout='180'
:env:.find-links='/opt/wheels'
global.cert='/etc/ssl/certs/ca-certificates.crt'
global.constraint='/etc/xdg/pip/constraints.txt'
global.extra-index-url='file:///opt/pypi/simple file:///opt/pypi-more/simple'
global.find-links='/srv/old-wheels'
global.index-url='https://mirror.example/simple'
install.index-url='https://install-mirror.example/simple'
"""


def test_each_source_pip_uses_becomes_a_uv_option():
    args = uv_args.uv_args(uv_args.parse(CONFIG))
    assert args == ["--index-url=https://install-mirror.example/simple",
                    "--extra-index-url=file:///opt/pypi/simple", "--extra-index-url=file:///opt/pypi-more/simple",
                    "--find-links=/opt/wheels", "--constraint=/etc/xdg/pip/constraints.txt",
                    "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"], args


def test_a_pip_variable_wins_over_the_files_and_install_over_global():
    options = uv_args.parse(CONFIG)
    assert options["find-links"] == "/opt/wheels"  # PIP_FIND_LINKS over pip.conf's [global]
    assert options["index-url"] == "https://install-mirror.example/simple"  # [install] over [global]
    assert "default-timeout" in options and not any("timeout" in a for a in uv_args.uv_args(options))


def test_no_configuration_gives_no_options_and_no_index_is_carried_over():
    assert uv_args.uv_args(uv_args.parse("")) == []
    assert uv_args.uv_args(uv_args.parse("global.no-index='true'\nnot a config line\n")) == ["--no-index"]
