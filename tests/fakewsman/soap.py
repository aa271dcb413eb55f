"""The WSMan SOAP envelope: read a client request, write responses and faults.

Only what pypsrp reads is produced: ``wsa:RelatesTo`` (checked against the
request's ``MessageID``), the body elements of each response, and faults in the
shape ``WSMan._parse_wsman_fault`` understands (``s:Fault`` with a
``wsmanfault:WSManFault Code=".."`` detail), sent with HTTP 500 like WinRM does.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from xml.sax.saxutils import escape, quoteattr

NS = {
    "s": "http://www.w3.org/2003/05/soap-envelope",
    "wsa": "http://schemas.xmlsoap.org/ws/2004/08/addressing",
    "wsman": "http://schemas.dmtf.org/wbem/wsman/1/wsman.xsd",
    "rsp": "http://schemas.microsoft.com/wbem/wsman/1/windows/shell",
    "pwsh": "http://schemas.microsoft.com/powershell",
}

SHELL = "http://schemas.microsoft.com/wbem/wsman/1/windows/shell"
TRANSFER = "http://schemas.xmlsoap.org/ws/2004/09/transfer"
ACTION_CREATE = f"{TRANSFER}/Create"
ACTION_DELETE = f"{TRANSFER}/Delete"
ACTION_COMMAND = f"{SHELL}/Command"
ACTION_RECEIVE = f"{SHELL}/Receive"
ACTION_SEND = f"{SHELL}/Send"
ACTION_SIGNAL = f"{SHELL}/Signal"
ACTION_FAULT = "http://schemas.dmtf.org/wbem/wsman/1/wsman/fault"

COMMAND_DONE = f"{SHELL}/CommandState/Done"
COMMAND_RUNNING = f"{SHELL}/CommandState/Running"

SIGNAL_PS_CTRL_C = "powershell/signal/ctrl_c"
SIGNAL_TERMINATE = f"{SHELL}/signal/Terminate"

# WSMan fault codes (HRESULT-style, as WinRM sends them).
FAULT_OPERATION_TIMEOUT = 2150858793  # 0x80338029, w:TimedOut: pypsrp polls again
FAULT_SHELL_NOT_FOUND = 2150858843  # 0x8033805B, w:InvalidSelectors
FAULT_MAX_SHELLS = 2150859174  # 0x803381A6, quota exceeded
FAULT_ACTION_NOT_SUPPORTED = 2150858771  # 0x80338013

_DURATION = re.compile(r"PT(\d+(?:\.\d+)?)S")


class SoapError(Exception):
    """A request the fake cannot read."""


@dataclass
class Request:
    action: str
    message_id: str
    resource_uri: str
    operation_timeout_s: float
    selectors: dict[str, str] = field(default_factory=dict)
    body: ET.Element | None = None

    def find(self, path: str) -> ET.Element | None:
        return None if self.body is None else self.body.find(path, NS)


def parse_request(data: bytes) -> Request:
    try:
        root = ET.fromstring(data)
    except ET.ParseError as err:
        raise SoapError(f"not XML: {err}") from None
    header = root.find("s:Header", NS)
    if header is None:
        raise SoapError("no SOAP header")

    def text(path: str) -> str:
        element = header.find(path, NS)
        return (element.text or "").strip() if element is not None else ""

    timeout = _DURATION.fullmatch(text("wsman:OperationTimeout"))
    selectors = {
        sel.attrib.get("Name", ""): (sel.text or "")
        for sel in header.findall("wsman:SelectorSet/wsman:Selector", NS)
    }
    return Request(
        action=text("wsa:Action"),
        message_id=text("wsa:MessageID"),
        resource_uri=text("wsman:ResourceURI"),
        operation_timeout_s=float(timeout.group(1)) if timeout else 20.0,
        selectors=selectors,
        body=root.find("s:Body", NS),
    )


def envelope(action: str, relates_to: str, body: str) -> bytes:
    return (
        f'<s:Envelope xml:lang="en-US" xmlns:s="{NS["s"]}" xmlns:a="{NS["wsa"]}" '
        f'xmlns:w="{NS["wsman"]}" xmlns:x="{TRANSFER}" xmlns:rsp="{NS["rsp"]}">'
        f"<s:Header><a:Action>{escape(action)}</a:Action>"
        f"<a:MessageID>uuid:{str(uuid.uuid4()).upper()}</a:MessageID>"
        "<a:To>http://schemas.xmlsoap.org/ws/2004/08/addressing/role/anonymous</a:To>"
        f"<a:RelatesTo>{escape(relates_to)}</a:RelatesTo></s:Header>"
        f"<s:Body>{body}</s:Body></s:Envelope>"
    ).encode()


def create_response(request: Request, endpoint: str, shell_id: str, owner: str) -> bytes:
    uri = escape(request.resource_uri)
    body = (
        f"<x:ResourceCreated><a:Address>{escape(endpoint)}</a:Address><a:ReferenceParameters>"
        f"<w:ResourceURI>{uri}</w:ResourceURI><w:SelectorSet>"
        f'<w:Selector Name="ShellId">{shell_id}</w:Selector></w:SelectorSet>'
        "</a:ReferenceParameters></x:ResourceCreated>"
        f"<rsp:Shell><rsp:ShellId>{shell_id}</rsp:ShellId><rsp:ResourceUri>{uri}</rsp:ResourceUri>"
        f"<rsp:Owner>{escape(owner)}</rsp:Owner><rsp:ClientIP>127.0.0.1</rsp:ClientIP>"
        "<rsp:IdleTimeOut>PT7200.000S</rsp:IdleTimeOut>"
        "<rsp:InputStreams>stdin pr</rsp:InputStreams><rsp:OutputStreams>stdout</rsp:OutputStreams>"
        "<rsp:ShellRunTime>P0DT0H0M0S</rsp:ShellRunTime>"
        "<rsp:ShellInactivity>P0DT0H0M0S</rsp:ShellInactivity></rsp:Shell>"
    )
    return envelope(f"{TRANSFER}/CreateResponse", request.message_id, body)


def command_response(request: Request, command_id: str) -> bytes:
    body = f"<rsp:CommandResponse><rsp:CommandId>{command_id}</rsp:CommandId></rsp:CommandResponse>"
    return envelope(f"{SHELL}/CommandResponse", request.message_id, body)


def receive_response(request: Request, data: str, command_id: str | None, done: bool) -> bytes:
    command = f" CommandId={quoteattr(command_id)}" if command_id else ""
    body = f'<rsp:ReceiveResponse><rsp:Stream Name="stdout"{command}>{data}</rsp:Stream>'
    if command_id:
        state = COMMAND_DONE if done else COMMAND_RUNNING
        body += f"<rsp:CommandState{command} State={quoteattr(state)}/>"
    body += "</rsp:ReceiveResponse>"
    return envelope(f"{SHELL}/ReceiveResponse", request.message_id, body)


def empty_response(request: Request, action: str, element: str | None) -> bytes:
    return envelope(action, request.message_id, f"<{element}/>" if element else "")


def fault(request_id: str, code: int, subcode: str, reason: str, machine: str) -> bytes:
    body = (
        "<s:Fault><s:Code><s:Value>s:Receiver</s:Value>"
        f"<s:Subcode><s:Value>w:{escape(subcode)}</s:Value></s:Subcode></s:Code>"
        f'<s:Reason><s:Text xml:lang="en-US">{escape(reason)}</s:Text></s:Reason>'
        '<s:Detail><f:WSManFault xmlns:f="http://schemas.microsoft.com/wbem/wsman/1/wsmanfault" '
        f"Code={quoteattr(str(code))} Machine={quoteattr(machine)}>"
        f"<f:Message>{escape(reason)}</f:Message></f:WSManFault></s:Detail></s:Fault>"
    )
    return envelope(ACTION_FAULT, request_id, body)
