"""Sends a digest (or a notice) to one channel through apprise, with the digest key attached and secrets scrubbed."""

from __future__ import annotations

import json
import logging
import re
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, TextIO
from urllib.parse import parse_qsl, unquote, urlsplit

import apprise
from apprise import NotifyFormat, OverflowMode
from apprise.plugins.base import NotifyBase
from apprise.plugins.custom_form import NotifyForm
from apprise.plugins.custom_json import NotifyJSON
from apprise.plugins.custom_xml import NotifyXML
from apprise.plugins.email import NotifyEmail
from apprise.plugins.slack import NotifySlack

from alerts.config import Channel
from alerts.digest import Digest
from alerts.render import DEFAULT_LIMITS, Rendered, plan_parts, render_notice, render_part
from newsmon.errors import DeliveryError

DIGEST_HEADER = "X-Newsmon-Digest"
IDEMPOTENCY_HEADER = "Idempotency-Key"
# Plugins whose payload carries the digest key where a receiver can drop a repeat (header and body field).
KEYED_PLUGINS: tuple[type, ...] = (NotifyJSON, NotifyForm, NotifyXML)
_APPRISE_FORMAT = {"text": NotifyFormat.TEXT, "markdown": NotifyFormat.MARKDOWN, "slack": NotifyFormat.MARKDOWN,
                   "html": NotifyFormat.HTML}


class ChannelUnusable(DeliveryError):
    """The channel cannot be tried at all (its variable is unset, its URL or file is invalid): retrying now is
    pointless, a later run may find it fixed."""


@dataclass(frozen=True, slots=True)
class Outgoing:
    """What a notifier sends: the stored digest, in as many messages (parts) as the channel's size limit needs,
    from part `first_part` on. `on_part(part, parts, accepted)` is called before each part is sent (False) and once
    the channel accepted it (True), so the caller can record how far the delivery got."""

    digest: Digest
    first_part: int = 1
    on_part: Callable[[int, int, bool], None] | None = None

    @property
    def key(self) -> str:
        return self.digest.key

    def part_key(self, part: int, parts: int) -> str:
        """The idempotency key of one part: the digest's key, and for a digest in several messages its part."""
        return self.key if parts == 1 else f"{self.key}:{part}/{parts}"

    def told(self, part: int, parts: int, accepted: bool) -> None:
        if self.on_part is not None:
            self.on_part(part, parts, accepted)


class Notifier(Protocol):
    """Sends a digest to a channel or raises DeliveryError (whose message never holds the channel's secret)."""

    def send(self, channel: Channel, message: Outgoing) -> None:
        """Send the digest's parts from message.first_part on, telling message.on_part about each."""
        ...

    def send_notice(self, channel: Channel, subject: str, body: str) -> None:
        """Send a one-off operational notice (plain words, escaped per format); raise DeliveryError on failure."""
        ...

    def can_deduplicate(self, channel: Channel) -> bool:
        """Whether a repeat of a message to this channel carries a key its receiver can drop it by."""
        ...


# ---------------------------------------------------------------------------------------------------------------
# Secrets: never in a log record, an exception message or the database.
# ---------------------------------------------------------------------------------------------------------------

_secrets: dict[str, int] = {}
_secrets_lock = threading.Lock()


_URL_IN_TEXT = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*://[^\s'\"]+")
_NOT_SECRET_QUERY_KEYS = {"from", "to", "cc", "bcc", "mode", "format", "overflow", "name", "smtp", "reply", "lang",
                          "method", "verify", "rto", "cto", "emojis", "tz", "footer", "image", "blocks", "store"}


def secret_parts(url: str) -> set[str]:
    """The whole URL and every piece of it that may be a token or password: user and password, path segments, query
    values (bar addressing ones such as from/to/mode) and the host when it is not a host name (slack://TokenA/...)."""
    parts = {url, unquote(url)}
    split = urlsplit(url)
    try:
        password, username = split.password, split.username
    except ValueError:  # a malformed URL: treat all of it as secret
        return {p for p in parts if p}
    host = split.netloc.rpartition("@")[2].partition(":")[0]  # as written: .hostname lower-cases a token
    pieces = [password or "", username or "", *split.path.split("/")]
    if host and "." not in host and ":" not in host and host != "localhost":
        pieces.append(host)
    for key, value in parse_qsl(split.query, keep_blank_values=True):
        if key.lower().lstrip("+:-") not in _NOT_SECRET_QUERY_KEYS:
            pieces.append(value)
    for piece in pieces:
        piece = piece.strip()
        if len(piece) >= 4 and not piece.isdigit():
            parts.add(piece)
            parts.add(unquote(piece))
    return {p for p in parts if p}


def scrub(text: str, secrets: set[str] | None = None) -> str:
    """`text` with every registered (or given) secret replaced by `***`."""
    with _secrets_lock:
        known = set(_secrets) | (secrets or set())
    for secret in sorted(known, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


class _ScrubFilter(logging.Filter):
    """Rewrites a record's message without the secrets of the sends in progress (apprise and urllib3 log URLs)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _secrets:
            record.msg = scrub(record.getMessage())
            record.args = None
        return True


_SCRUB = _ScrubFilter()
# A logger's filters only see records logged on that very logger, so each one that may print a URL gets it.
for _name in ("apprise", "urllib3.connectionpool", "urllib3.util.retry", "requests", "newsmon.alerts"):
    logging.getLogger(_name).addFilter(_SCRUB)


class _Registered:
    """Registers secrets with the log filter for the duration of a send."""

    def __init__(self, secrets: set[str]) -> None:
        self.secrets = secrets

    def __enter__(self) -> "_Registered":
        with _secrets_lock:
            for s in self.secrets:
                _secrets[s] = _secrets.get(s, 0) + 1
        return self

    def __exit__(self, *exc: object) -> None:
        with _secrets_lock:
            for s in self.secrets:
                _secrets[s] -= 1
                if not _secrets[s]:
                    del _secrets[s]


# ---------------------------------------------------------------------------------------------------------------
# apprise
# ---------------------------------------------------------------------------------------------------------------


def channel_format(channel: Channel, plugin: NotifyBase) -> str:
    if channel.format != "auto":
        return channel.format
    if isinstance(plugin, NotifySlack):
        return "slack"
    if isinstance(plugin, NotifyEmail):
        return "html"
    return "markdown"


class AppriseNotifier:
    """Delivers through apprise. URLs come from `env` (or an apprise configuration file) at send time only.

    `prepare` is called with each plugin just before sending; tests use it to point Slack's plugin at a local receiver.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        *,
        base_dir: Path | None = None,
        prepare: Callable[[NotifyBase], None] | None = None,
    ) -> None:
        self.env = env
        self.base_dir = base_dir
        self.prepare = prepare
        self._accepted: dict[tuple[str, str | None], set[int]] = {}

    def _plugins(self, channel: Channel) -> tuple[list[NotifyBase], set[str]]:
        asset = apprise.AppriseAsset(secure_logging=True)
        if channel.env:
            url = self.env.get(channel.env, "").strip()
            if not url:
                raise ChannelUnusable(
                    f"channel {channel.label}: environment variable {channel.env} is not set (it must hold the "
                    "channel's apprise URL)"
                )
            secrets = secret_parts(url)
            with _Registered(secrets):
                plugin = apprise.Apprise.instantiate(url, asset=asset)
            if plugin is None:
                raise ChannelUnusable(f"channel {channel.label}: ${channel.env} does not hold a valid apprise URL")
            return [plugin], secrets
        path = Path(channel.apprise_config or "").expanduser()
        if not path.is_absolute() and self.base_dir:
            path = self.base_dir / path
        if not path.is_file():
            raise ChannelUnusable(f"channel {channel.label}: apprise configuration file {path} not found")
        # Whatever looks like a URL in the file is secret while apprise parses it (and logs as it goes).
        secrets: set[str] = set()
        for url in _URL_IN_TEXT.findall(path.read_text(encoding="utf-8", errors="replace")):
            secrets |= secret_parts(url)
        with _Registered(secrets):
            config = apprise.AppriseConfig(asset=asset)
            config.add(str(path))
            plugins = list(apprise.Apprise(servers=config, asset=asset))
        if not plugins:
            raise ChannelUnusable(f"channel {channel.label}: apprise configuration file {path} holds no usable URL")
        for p in plugins:
            secrets |= secret_parts(p.url(privacy=False))
        return plugins, secrets

    def can_deduplicate(self, channel: Channel) -> bool:
        try:
            plugins, _ = self._plugins(channel)
        except DeliveryError:
            return False
        return all(isinstance(p, KEYED_PLUGINS) for p in plugins)

    def send(self, channel: Channel, message: Outgoing) -> None:
        plugins, secrets = self._plugins(channel)
        # One split for every target of the channel, so part k holds the same stories wherever it goes.
        budgets = [(channel_format(channel, p), _limit(channel_format(channel, p), p)) for p in plugins]
        parts = plan_parts(message.digest, budgets)
        for part in parts[message.first_part - 1 :]:
            message.told(part.number, part.of, False)
            self._deliver(channel, lambda fmt, _limit, part=part: render_part(message.digest, part, fmt),
                          message.part_key(part.number, part.of), plugins, secrets)
            message.told(part.number, part.of, True)

    def send_notice(self, channel: Channel, subject: str, body: str) -> None:
        plugins, secrets = self._plugins(channel)
        self._deliver(channel, lambda fmt, limit: render_notice(subject, body, fmt, limit=limit), None, plugins,
                      secrets)

    def _deliver(self, channel: Channel, rendered: Callable[[str, int], Rendered], key: str | None,
                 plugins: list[NotifyBase], secrets: set[str]) -> None:
        # A configuration file may hold several URLs; a retry within this run skips those that already took it.
        done = self._accepted.setdefault((channel.label, key), set()) if key else set()
        with _Registered(secrets):
            for index, plugin in enumerate(plugins):
                if index in done:
                    continue
                try:
                    self._send_one(channel, plugin, rendered, key)
                    done.add(index)
                except DeliveryError:
                    raise
                except Exception as exc:  # a plugin bug or an OS error: report it without the URL
                    raise DeliveryError(
                        f"channel {channel.label}: {scrub(f'{type(exc).__name__}: {exc}', secrets)}"
                    ) from None

    def _send_one(
        self, channel: Channel, plugin: NotifyBase, rendered: Callable[[str, int], Rendered], key: str | None
    ) -> None:
        fmt = channel_format(channel, plugin)
        message = rendered(fmt, _limit(fmt, plugin))
        title = message.title[: plugin.title_maxlen] if plugin.title_maxlen else message.title
        # No splitting by apprise (our parts fit the channel's size, numbered) and no throttle wait.
        plugin.overflow_mode = OverflowMode.UPSTREAM
        if key:
            _attach_key(plugin, key)
        with tempfile.TemporaryDirectory(prefix="newsmon-slack-") as tmp:
            if isinstance(plugin, NotifySlack):
                # Always Block Kit: apprise's legacy Slack path turns an escaped `&lt;!channel&gt;` back into a mention.
                _use_block_kit(plugin, message, Path(tmp))
            attach = _inline_images(plugin, message, Path(tmp))
            if self.prepare:
                self.prepare(plugin)
            with apprise.LogCapture(level=logging.WARNING) as log:
                ok = plugin.notify(body=message.body, title=title, body_format=_APPRISE_FORMAT[fmt], attach=attach)
                detail = log.getvalue() if not ok else ""
        if not ok:
            lines = [ln.split(" - ", 2)[-1] for ln in detail.strip().splitlines() if ln.strip()]
            reason = "; ".join(dict.fromkeys(lines))[-500:] or "the service did not accept the message"
            raise DeliveryError(f"channel {channel.label}: {scrub(reason)}")


def _limit(fmt: str, plugin: NotifyBase) -> int:
    """How large one message to `plugin` may be in `fmt`."""
    limit = DEFAULT_LIMITS[fmt]
    if plugin.body_maxlen and not isinstance(plugin, NotifyEmail):
        # apprise's 32 KiB for email is nominal (mail has no such limit); Gmail's clipping at ~100 KB, our html
        # default, is the one that matters there.
        limit = min(limit, plugin.body_maxlen)
    return limit


def _attach_key(plugin: NotifyBase, key: str) -> None:
    """Put the digest key where the receiver can see it: a header and, for JSON/form, a payload field."""
    headers = getattr(plugin, "headers", None)
    if isinstance(headers, dict):
        headers[DIGEST_HEADER] = key
        if isinstance(plugin, KEYED_PLUGINS):
            headers[IDEMPOTENCY_HEADER] = key
    extras = getattr(plugin, "payload_extras", None)
    if isinstance(extras, dict) and isinstance(plugin, (NotifyJSON, NotifyForm)):
        extras["digest_key"] = key


def _inline_images(plugin: NotifyBase, rendered: Rendered, folder: Path) -> apprise.AppriseAttachment | None:
    """An email's images (the weekly chart) as inline attachments its HTML shows by `cid:NAME` (RFC 2387,
    multipart/related); None for other targets and messages without images."""
    if not rendered.images or not isinstance(plugin, NotifyEmail):
        return None
    attach = apprise.AppriseAttachment(asset=plugin.asset)
    for name, data in rendered.images:
        path = folder / name
        path.write_bytes(data)
        attach.add(str(path))
    plugin.inline = True
    return attach


def _use_block_kit(plugin: NotifySlack, rendered: Rendered, folder: Path) -> None:
    """Send our own Block Kit layout: apprise's Slack plugin posts a template file's blocks as the message."""
    # apply_template substitutes `{{name}}`. Indented JSON never puts two structural braces side by side, so every
    # `{{` or `}}` left is inside a string, where the JSON escape \u007b/\u007d reads back as the same brace.
    # apprise posts the template as an attachment; its `fallback` is what Slack shows in notifications.
    text = json.dumps({"fallback": rendered.title, "blocks": rendered.blocks}, ensure_ascii=False, indent=1)
    text = text.replace("{{", "{\\u007b").replace("}}", "}\\u007d")
    path = folder / "blocks.json"
    path.write_text(text, encoding="utf-8")
    template = apprise.AppriseAttachment(asset=plugin.asset)
    template.add(str(path))
    template[0].max_file_size = max(plugin.max_slack_template_size, 4 * len(text.encode("utf-8")))
    plugin.template = template
    plugin.use_blocks = True


class ConsoleNotifier:
    """The channel of last resort: the digest as plain text on a stream."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream

    def send_text(self, message: Outgoing) -> None:
        parts = plan_parts(message.digest, [("text", DEFAULT_LIMITS["text"])])
        for part in parts[message.first_part - 1 :]:
            message.told(part.number, part.of, False)
            self.stream.write(render_part(message.digest, part, "text").body)
            self.stream.write("\n")
            self.stream.flush()
            message.told(part.number, part.of, True)
