"""How to connect and authenticate: one immutable set of options for a whole scan."""

from __future__ import annotations

import importlib.util
import math
import os
from dataclasses import dataclass, field

from assess.scan.targets import Target

AUTH_METHODS = ("negotiate", "ntlm", "kerberos", "credssp", "basic", "certificate")

# Auth methods that can wrap WinRM messages (needed for plain HTTP).
MESSAGE_ENCRYPTING_AUTH = frozenset({"negotiate", "ntlm", "kerberos", "credssp"})


@dataclass(frozen=True)
class ConnectionOptions:
    """Connection settings shared by every host of a scan.

    The password is kept out of ``repr`` and never copied into results, messages
    or logs. ``timeout`` is the wall-clock deadline for one host, from the first
    connection attempt to the last output; ``connect_timeout`` bounds each TCP
    connect.
    """

    username: str | None = None
    password: str | None = field(default=None, repr=False)
    auth: str = "negotiate"
    http: bool = False
    allow_unencrypted: bool = False
    ca_bundle: str | None = None
    verify: bool = True
    cert_pem: str | None = None
    cert_key_pem: str | None = None
    timeout: float = 300.0
    connect_timeout: float = 30.0

    def validate(self) -> None:
        """Reject unusable or unsafe combinations with a one-line ``ValueError``."""
        if self.auth not in AUTH_METHODS:
            raise ValueError(f"unknown auth {self.auth!r}: choose one of {', '.join(AUTH_METHODS)}")
        for name in ("timeout", "connect_timeout"):
            value = getattr(self, name)
            if not (isinstance(value, int | float) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name.replace('_', ' ')} must be a positive number of seconds")
        if self.ca_bundle and not self.verify:
            raise ValueError("--ca-bundle and --no-verify exclude each other")
        if self.ca_bundle and not os.path.exists(self.ca_bundle):
            raise ValueError(f"CA bundle not found: {self.ca_bundle}")
        if self.password is not None and not self.username:
            raise ValueError("a password was given without a user name (--user)")
        if self.auth in ("basic", "ntlm", "credssp") and not (self.username and self.password):
            raise ValueError(f"{self.auth} authentication needs --user and a password")
        if self.auth == "basic" and self.http and not self.allow_unencrypted:
            raise ValueError(_BASIC_OVER_HTTP)
        if self.auth == "certificate":
            self._validate_certificate()
        elif self.cert_pem or self.cert_key_pem:
            raise ValueError("client certificate files apply to --auth certificate only")
        if self.auth == "credssp" and importlib.util.find_spec("requests_credssp") is None:
            raise ValueError(
                "CredSSP needs the requests-credssp package: pip install 'pypsrp[credssp]'"
            )
        if (
            self.auth == "kerberos"
            and os.name != "nt"
            and importlib.util.find_spec("gssapi") is None
        ):
            raise ValueError(
                "Kerberos needs the gssapi package (pip install 'pypsrp[kerberos]') and a krb5.conf"
            )

    def validate_target(self, target: Target) -> None:
        """:meth:`validate`, plus the checks that depend on one target's scheme."""
        self.validate()
        if target.scheme == "http":
            if self.auth == "basic" and not self.allow_unencrypted:
                raise ValueError(f"{target.label}: {_BASIC_OVER_HTTP}")
            if self.auth == "certificate":
                raise ValueError(f"{target.label}: certificate authentication needs HTTPS")

    def _validate_certificate(self) -> None:
        if self.http:
            raise ValueError("certificate authentication needs HTTPS (drop --http)")
        if not (self.cert_pem and self.cert_key_pem):
            raise ValueError("certificate authentication needs a certificate and a key (PEM files)")
        for path in (self.cert_pem, self.cert_key_pem):
            if not os.path.isfile(path):
                raise ValueError(f"certificate file not found: {path}")


_BASIC_OVER_HTTP = (
    "basic authentication over plain HTTP sends the password in clear text; "
    "use HTTPS or another --auth (--allow-unencrypted exists for labs and tests)"
)
