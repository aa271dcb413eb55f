"""Connection options: validation and how they become pypsrp WSMan arguments."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from pypsrp.wsman import WSMan

from assess.scan import ConnectionOptions, parse_target
from assess.scan.transport import (
    MAX_OPERATION_S,
    bound_waits,
    cert_validation,
    encryption_mode,
    open_wsman,
    wsman_arguments,
)

HTTPS = parse_target("hv01")
HTTP = parse_target("hv01", http=True)


def test_defaults_are_valid_and_safe() -> None:
    options = ConnectionOptions()
    options.validate()
    assert options.auth == "negotiate"
    assert options.verify is True
    assert options.timeout == 300.0
    assert encryption_mode(HTTPS, options) == "auto"
    assert cert_validation(options) is True


def test_password_is_not_in_repr() -> None:
    options = ConnectionOptions(username="corp\\scan", password="Top-Secret-42")
    assert "Top-Secret-42" not in repr(options)
    assert "Top-Secret-42" not in str(options)
    assert "corp" in repr(options)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"auth": "digest"}, "unknown auth"),
        ({"timeout": 0}, "timeout must be a positive"),
        ({"timeout": float("inf")}, "timeout must be a positive"),
        ({"connect_timeout": -1}, "connect timeout must be a positive"),
        ({"ca_bundle": "x.pem", "verify": False}, "exclude each other"),
        ({"ca_bundle": "/nonexistent/ca.pem"}, "CA bundle not found"),
        ({"password": "p"}, "without a user name"),
        ({"auth": "basic", "username": "u"}, "needs --user and a password"),
        ({"auth": "ntlm", "username": "u"}, "needs --user and a password"),
        ({"auth": "basic", "username": "u", "password": "p", "http": True}, "clear text"),
        ({"auth": "certificate"}, "needs a certificate and a key"),
        ({"auth": "certificate", "http": True}, "needs HTTPS"),
        ({"auth": "certificate", "cert_pem": "/x.pem", "cert_key_pem": "/k.pem"}, "not found"),
        ({"cert_pem": "c.pem"}, "apply to --auth certificate only"),
    ],
)
def test_validate_rejects(fields: dict, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        ConnectionOptions(**fields).validate()
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_basic_over_http_needs_allow_unencrypted() -> None:
    options = ConnectionOptions(
        username="u", password="p", auth="basic", http=True, allow_unencrypted=True
    )
    options.validate()
    options.validate_target(HTTP)
    assert encryption_mode(HTTP, options) == "never"


def test_validate_target_checks_the_targets_own_scheme() -> None:
    # The default scheme is https, but this target says http.
    options = ConnectionOptions(username="u", password="p", auth="basic")
    options.validate()
    with pytest.raises(ValueError, match="clear text"):
        options.validate_target(parse_target("http://hv01/wsman"))
    cert = ConnectionOptions(auth="certificate", cert_pem=__file__, cert_key_pem=__file__)
    cert.validate_target(HTTPS)
    with pytest.raises(ValueError, match="needs HTTPS"):
        cert.validate_target(parse_target("http://hv01/wsman"))


@pytest.mark.skipif(
    importlib.util.find_spec("requests_credssp") is not None, reason="requests-credssp installed"
)
def test_credssp_without_its_package_is_a_usage_error() -> None:
    with pytest.raises(ValueError, match="requests-credssp"):
        ConnectionOptions(username="u", password="p", auth="credssp").validate()


@pytest.mark.parametrize("auth", ["negotiate", "ntlm", "kerberos", "credssp"])
def test_http_uses_message_encryption(auth: str) -> None:
    options = ConnectionOptions(username="u", password="p", auth=auth, http=True)
    assert encryption_mode(HTTP, options) == "always"
    assert encryption_mode(HTTPS, options) == "auto"


def test_certificate_validation_modes(tmp_path: Path) -> None:
    bundle = tmp_path / "corp-ca.pem"
    bundle.write_text("-----BEGIN CERTIFICATE-----\n", encoding="ascii")
    assert cert_validation(ConnectionOptions(verify=False)) is False
    with_bundle = ConnectionOptions(ca_bundle=str(bundle))
    with_bundle.validate()
    assert cert_validation(with_bundle) == str(bundle)


def test_wsman_arguments() -> None:
    options = ConnectionOptions(
        username="corp\\scan", password="p", auth="ntlm", connect_timeout=7.5, verify=False
    )
    arguments = wsman_arguments(parse_target("[::1]:15986"), options)
    assert arguments["server"] == "::1"
    assert arguments["port"] == 15986
    assert arguments["ssl"] is True
    assert arguments["path"] == "wsman"
    assert arguments["auth"] == "ntlm"
    assert arguments["cert_validation"] is False
    assert arguments["encryption"] == "auto"
    assert arguments["connection_timeout"] == 8
    assert arguments["no_proxy"] is True
    assert "certificate_pem" not in arguments
    wsman = open_wsman(parse_target("[::1]:15986"), options)
    assert isinstance(wsman, WSMan)
    assert wsman.transport.endpoint == "https://[::1]:15986/wsman"


def test_certificate_arguments() -> None:
    options = ConnectionOptions(auth="certificate", cert_pem="c.pem", cert_key_pem="k.pem")
    arguments = wsman_arguments(HTTPS, options)
    assert arguments["certificate_pem"] == "c.pem"
    assert arguments["certificate_key_pem"] == "k.pem"


def test_bound_waits_caps_by_remaining_time() -> None:
    wsman = open_wsman(HTTP, ConnectionOptions(username="u", password="p", auth="ntlm"))
    assert bound_waits(wsman, 300.0, 30.0) == MAX_OPERATION_S
    assert wsman.transport.connection_timeout == 30
    assert bound_waits(wsman, 3.2, 30.0) == 4
    assert wsman.operation_timeout == 4
    assert wsman.transport.read_timeout > 4
    assert wsman.transport.connection_timeout == 4
    assert bound_waits(wsman, 0.01, 30.0) == 1
