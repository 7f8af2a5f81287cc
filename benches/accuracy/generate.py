#!/usr/bin/env python3
"""Generate a synthetic, repository-like corpus for the secret-scanner accuracy benchmark.

    python3 generate.py --seed 1 --files 400 --out DIR

writes
    DIR/repo/...          the tree to scan (source, config, CI, infra, docs, lockfiles)
    DIR/truth.jsonl       one object per planted secret:
                          {"path", "line", "end_line", "category", "kind", "value"[, "span"]}
                          (line..end_line: the lines the value occupies; span [first, last]: the lines of
                          the whole credential file object when the secret is one field of it)
    DIR/decoys.jsonl      one object per planted look-alike that is NOT a leak:
                          {"path", "line", "end_line", "category", "kind", "value", "target", "neutral"}

Paths are relative to DIR/repo (the directory the scanners are pointed at; truth.jsonl must not be scanned,
it holds every planted value).  Every secret is synthetic: a random body in the provider's published shape
(GitHub / npm tokens carry a valid CRC32-base62 checksum), never a real credential.

Decoys are things a security engineer would call noise: placeholders, documented example keys, hashes,
UUIDs, git SHAs, versions, paths, code identifiers, i18n strings, public keys and certificates, test
values, base64 images, URLs without credentials.  `target` names the secret category a decoy imitates
(used for per-category precision).  `neutral` decoys are identifiers that sit next to a planted credential
(a Twilio account SID above its auth token, a key id): a finding there is neither a true nor a false
positive.

Only the Python standard library is used; the same --seed always gives byte-identical output.
"""
import argparse
import base64
import hashlib
import json
import os
import random
import re
import string
import struct
import sys
import uuid
import zlib

DIGITS = string.digits
UPPER = string.ascii_uppercase
LOWER = string.ascii_lowercase
LETTERS = string.ascii_letters
ALNUM = LETTERS + DIGITS
B62 = DIGITS + UPPER + LOWER
URLSAFE = ALNUM + "-_"
HEX = "0123456789abcdef"
B32 = UPPER + "234567"
PW_SYMBOLS = "!@%^*-_=+.~"

NOUNS = ["user", "order", "invoice", "cart", "report", "session", "payment", "customer", "product",
         "shipment", "account", "ticket", "event", "metric", "job", "task", "item", "record", "message",
         "profile", "tenant", "export", "upload", "review", "coupon", "address", "schedule", "batch"]
VERBS = ["load", "fetch", "build", "parse", "render", "update", "sync", "compute", "validate", "format",
         "process", "collect", "refresh", "archive", "merge", "resolve", "enqueue", "notify", "score"]
ATTRS = ["id", "name", "status", "count", "total", "created_at", "updated_at", "priority", "region",
         "kind", "owner", "amount", "currency", "retries"]
SERVICES = ["billing", "auth", "gateway", "notifier", "search", "reports", "inventory", "web", "checkout",
            "catalog", "ledger", "mailer", "scheduler", "analytics", "admin", "partner-api"]
REGIONS = ["us-east-1", "eu-west-1", "eu-central-1", "ap-southeast-2", "us-west-2"]
HOSTS = ["db.internal", "prod-db.c9akciq32xyz.us-east-1.rds.amazonaws.com", "10.20.3.14",
         "pg-primary.prod.svc.cluster.local", "mysql-main.data.svc", "orders-db.eu-west-1.rds.amazonaws.com"]


def pascal(n):
    return "".join(p.title() for p in n.replace("-", "_").lower().split("_"))


def camel(n):
    p = pascal(n)
    return p[0].lower() + p[1:]


def snake(n):
    return n.lower()


def dotted(n):
    return n.lower().replace("_", ".")


def kebab(n):
    return n.lower().replace("_", "-")


class Item:
    """One planted value.  `value` is what truth/decoys record; `file_value` is what is written."""
    __slots__ = ("secret", "category", "kind", "value", "name", "target", "quoted", "form", "file_value",
                 "neutral", "style", "line", "end_line", "path", "span")

    def __init__(self, secret, category, kind, value, name, target=None, quoted=True, form="token",
                 neutral=False, style=None):
        self.secret, self.category, self.kind, self.value, self.name = secret, category, kind, value, name
        self.target, self.quoted, self.form, self.neutral, self.style = target, quoted, form, neutral, style
        self.file_value = value
        self.line = self.end_line = self.path = self.span = None


class Gen:
    def __init__(self, seed):
        self.r = random.Random(seed)
        self.marks = {}
        self.used_paths = set()

    # ---------------------------------------------------------------- random helpers
    def s(self, alphabet, n):
        return "".join(self.r.choice(alphabet) for _ in range(n))

    def pick(self, seq):
        return self.r.choice(seq)

    def chance(self, p):
        return self.r.random() < p

    def rbytes(self, n):
        return bytes(self.r.getrandbits(8) for _ in range(n))

    def b64(self, n):
        return base64.b64encode(self.rbytes(n)).decode()

    def b64url(self, n):
        return base64.urlsafe_b64encode(self.rbytes(n)).decode().rstrip("=")

    def hexs(self, n):
        return self.s(HEX, n)

    def uuid4(self):
        return str(uuid.UUID(int=self.r.getrandbits(128), version=4))

    def digits(self, lo, hi):
        n = self.r.randint(lo, hi)
        return self.pick("123456789") + self.s(DIGITS, n - 1)

    def mark(self, item):
        key = "@@PLANT%d@@" % len(self.marks)
        self.marks[key] = item
        return key

    def unique_path(self, path):
        base, n = path, 2
        while path in self.used_paths:
            root, ext = os.path.splitext(base)
            if os.path.basename(base).startswith(".") and not ext:
                root, ext = base, ""
            path = "%s_%d%s" % (root, n, ext)
            n += 1
        self.used_paths.add(path)
        return path

    def password(self, lo=14, hi=24):
        while True:
            v = self.s(ALNUM + PW_SYMBOLS, self.r.randint(lo, hi))
            if (any(c in DIGITS for c in v) and any(c in UPPER for c in v) and any(c in LOWER for c in v)
                    and v[0] in ALNUM):
                return v

    def word_password(self, lo=16, hi=24):
        """Random URL-safe password (no characters that need escaping in a URL)."""
        while True:
            v = self.s(ALNUM, self.r.randint(lo, hi))
            if any(c in DIGITS for c in v) and any(c in UPPER for c in v) and any(c in LOWER for c in v):
                return v


# ==================================================================== secrets (truth)

def crc32_b62(body):
    n = zlib.crc32(body.encode()) & 0xFFFFFFFF
    out = ""
    while n:
        n, r = divmod(n, 62)
        out = B62[r] + out
    return out.rjust(6, "0")


def checksummed(g, prefix):
    body = g.s(ALNUM, 30)
    return prefix + body + crc32_b62(body)


def S(cat, kind, value, name, **kw):
    return Item(True, cat, kind, value, name, target=cat, **kw)


def N(kind, value, name, target):
    """A neutral identifier that belongs to a planted credential (not a secret by itself)."""
    return Item(False, "companion-id", kind, value, name, target=target, neutral=True)


def pem_wrap(label, der, width=64):
    body = base64.b64encode(der).decode()
    lines = [body[i:i + width] for i in range(0, len(body), width)]
    return "-----BEGIN %s-----\n%s\n-----END %s-----" % (label, "\n".join(lines), label)


def der_len(n):
    if n < 0x80:
        return bytes([n])
    if n < 0x100:
        return b"\x81" + bytes([n])
    return b"\x82" + struct.pack(">H", n)


def rsa_der(g):
    # SEQUENCE { version 0, modulus (257 bytes), e=65537, d, p, q, dp, dq, qinv } with random bodies
    def integer(nbytes):
        body = b"\x00" + bytes([0x80 | g.r.getrandbits(7)]) + g.rbytes(nbytes - 2)
        return b"\x02" + der_len(len(body)) + body
    parts = (b"\x02\x01\x00" + integer(257) + b"\x02\x03\x01\x00\x01" + integer(257) + integer(129)
             + integer(129) + integer(129) + integer(128) + integer(129))
    return b"\x30" + der_len(len(parts)) + parts


def ssh_string(b):
    return struct.pack(">I", len(b)) + b


def private_key(g, kind):
    if kind == "rsa-private-key":
        return pem_wrap("RSA PRIVATE KEY", rsa_der(g))
    if kind == "pkcs8-private-key":
        inner = rsa_der(g)
        alg = bytes.fromhex("300d06092a864886f70d0101010500")
        octet = b"\x04" + der_len(len(inner)) + inner
        body = b"\x02\x01\x00" + alg + octet
        return pem_wrap("PRIVATE KEY", b"\x30" + der_len(len(body)) + body)
    if kind == "ec-private-key":
        der = (bytes.fromhex("30770201010420") + g.rbytes(32) + bytes.fromhex("a00a06082a8648ce3d030107a144034200")
               + b"\x04" + g.rbytes(64))
        return pem_wrap("EC PRIVATE KEY", der)
    # openssh ed25519
    pub = g.rbytes(32)
    pubblob = ssh_string(b"ssh-ed25519") + ssh_string(pub)
    check = g.rbytes(4)
    comment = ("%s@%s" % (g.pick(NOUNS), g.pick(SERVICES))).encode()
    priv = (check + check + ssh_string(b"ssh-ed25519") + ssh_string(pub) + ssh_string(g.rbytes(32) + pub)
            + ssh_string(comment))
    priv += bytes(range(1, 1 + (-len(priv)) % 8))
    blob = (b"openssh-key-v1\x00" + ssh_string(b"none") + ssh_string(b"none") + ssh_string(b"")
            + struct.pack(">I", 1) + ssh_string(pubblob) + ssh_string(priv))
    return pem_wrap("OPENSSH PRIVATE KEY", blob, width=70)


def jwt_token(g, example=False):
    hdr = {"alg": "HS256", "typ": "JWT"}
    now = 1700000000 + g.r.randint(0, 40000000)
    payload = g.pick([
        {"iss": "supabase", "ref": g.s(LOWER, 20), "role": "service_role", "iat": now, "exp": now + 315360000},
        {"sub": g.uuid4(), "email": "%s.%s@%s.io" % (g.pick(NOUNS), g.pick(VERBS), g.pick(SERVICES)),
         "role": "admin", "iat": now, "exp": now + 31536000},
        {"sub": "svc-%s" % g.pick(SERVICES), "scope": "read write admin", "iss": "https://auth.%s.internal" %
         g.pick(SERVICES), "iat": now, "exp": now + 63072000},
        {"user_id": g.r.randint(1000, 99999), "org": g.pick(SERVICES), "permissions": ["*"], "iat": now},
    ])
    enc = lambda o: base64.urlsafe_b64encode(json.dumps(o, separators=(",", ":")).encode()).decode().rstrip("=")
    return "%s.%s.%s" % (enc(hdr), enc(payload), g.b64url(32))


GENERIC_NAMES = {
    "password": ["PASSWORD", "DB_PASSWORD", "ADMIN_PASSWORD", "SMTP_PASSWORD", "REDIS_PASSWORD",
                 "MYSQL_PASSWORD", "LDAP_BIND_PASSWORD", "RABBITMQ_PASSWORD", "SFTP_PASSWORD",
                 "KEYSTORE_PASSWORD", "MAIL_PASSWORD", "DATABASE_PASSWORD"],
    "secret": ["SECRET", "CLIENT_SECRET", "APP_SECRET", "JWT_SECRET", "SECRET_KEY", "SESSION_SECRET",
               "OAUTH_CLIENT_SECRET", "WEBHOOK_SECRET", "COOKIE_SECRET", "SIGNING_SECRET"],
    "api_key": ["API_KEY", "PARTNER_API_KEY", "MAPS_API_KEY", "SEARCH_API_KEY", "ANALYTICS_API_KEY",
                "INTERNAL_API_KEY", "VENDOR_API_KEY", "APIKEY"],
    "token": ["TOKEN", "AUTH_TOKEN", "ACCESS_TOKEN", "API_TOKEN", "SERVICE_TOKEN", "BEARER_TOKEN",
              "REFRESH_TOKEN", "PRIVATE_TOKEN"],
}


def generic_value(g, family):
    k = g.r.random()
    if family == "password":
        if k < 0.55:
            return g.password()
        return g.word_password(12, 20) if k < 0.75 else g.password(8, 11)
    if family == "secret":
        if k < 0.15:
            return g.s(ALNUM, g.r.randint(12, 16))
        if k < 0.4:
            return g.hexs(g.pick([32, 48, 64]))
        if k < 0.65:
            return g.b64(g.pick([24, 32, 48]))
        return g.s(ALNUM, g.r.randint(24, 40))
    if family == "api_key":
        return g.s(ALNUM, g.r.randint(24, 40)) if k < 0.7 else g.hexs(32)
    return g.s(ALNUM + "-_", g.r.randint(28, 48)) if k < 0.7 else g.b64url(g.pick([24, 32]))


def aws_pair(g):
    kid = "AKIA" + g.s(B32, 16)
    sec = g.b64(30)
    return [S("cloud", "aws-access-key-id", kid, "AWS_ACCESS_KEY_ID"),
            S("cloud", "aws-secret-access-key", sec, "AWS_SECRET_ACCESS_KEY")]


def azure_conn(g):
    acct = g.pick(SERVICES).replace("-", "") + g.s(LOWER + DIGITS, 6)
    key = g.b64(64)
    v = ("DefaultEndpointsProtocol=https;AccountName=%s;AccountKey=%s;EndpointSuffix=core.windows.net"
         % (acct, key))
    return [S("cloud", "azure-storage-connection-string", v,
              g.pick(["AZURE_STORAGE_CONNECTION_STRING", "AZUREWEBJOBSSTORAGE", "STORAGE_CONNECTION_STRING"]))]


def azure_key(g):
    acct = g.pick(SERVICES).replace("-", "") + g.s(LOWER + DIGITS, 6)
    return [N("azure-storage-account-name", acct, "AZURE_STORAGE_ACCOUNT", "cloud"),
            S("cloud", "azure-storage-account-key", g.b64(64), g.pick(["AZURE_STORAGE_KEY",
                                                                     "AZURE_STORAGE_ACCESS_KEY"]))]


def slack_webhook(g):
    return "https://hooks.slack.com/services/T%s/B%s/%s" % (g.s(UPPER + DIGITS, 8), g.s(UPPER + DIGITS, 10),
                                                           g.s(ALNUM, 24))


def db_url(g, scheme):
    pw = g.word_password()
    user = g.pick(["app", "svc_" + g.pick(SERVICES).replace("-", "_"), "admin", "api_rw", "root", "etl"])
    if scheme == "postgres":
        return "%s://%s:%s@%s:5432/%s" % (g.pick(["postgres", "postgresql"]), user, pw, g.pick(HOSTS),
                                          g.pick(NOUNS) + "s")
    if scheme == "mysql":
        return "mysql://%s:%s@%s:3306/%s" % (user, pw, g.pick(HOSTS), g.pick(NOUNS))
    if scheme == "mongodb":
        return "mongodb+srv://%s:%s@cluster0.%s.mongodb.net/%s?retryWrites=true&w=majority" % (
            user, pw, g.s(LOWER + DIGITS, 5), g.pick(NOUNS))
    if scheme == "redis":
        return "%s://%s:%s@%s:6379/0" % (g.pick(["redis", "rediss"]), g.pick(["default", ""]), pw,
                                         g.pick(["cache.internal", "redis-master.prod.svc", "10.20.4.7"]))
    return "amqp://%s:%s@%s:5672/%s" % (user, pw, g.pick(["rabbitmq.internal", "mq.prod.svc"]), g.pick(SERVICES))


DB_NAMES = {"postgres": ["DATABASE_URL", "POSTGRES_URL", "DB_URL", "SQLALCHEMY_DATABASE_URI"],
            "mysql": ["DATABASE_URL", "MYSQL_URL", "DB_DSN"],
            "mongodb": ["MONGO_URI", "MONGODB_URL", "MONGO_URL"],
            "redis": ["REDIS_URL", "CACHE_URL", "REDIS_DSN"],
            "amqp": ["AMQP_URL", "CELERY_BROKER_URL", "RABBITMQ_URL"]}


def secret_kinds():
    """(category, kind, weight, form, fn(g) -> [Item])"""
    K = []

    def add(cat, kind, w, fn, form="token"):
        K.append((cat, kind, w, form, fn))
    # cloud
    add("cloud", "aws-access-key-id+secret", 3, aws_pair)
    add("cloud", "gcp-api-key", 2, lambda g: [S("cloud", "gcp-api-key", "AIza" + g.s(URLSAFE, 35), g.pick(
        ["GOOGLE_API_KEY", "GCP_API_KEY", "GOOGLE_MAPS_API_KEY", "GEMINI_API_KEY", "YOUTUBE_API_KEY"]))])
    add("cloud", "azure-storage-account-key", 1, azure_key)
    add("cloud", "azure-storage-connection-string", 1.5, azure_conn)
    # vcs
    add("vcs", "github-pat", 2, lambda g: [S("vcs", "github-pat", checksummed(g, "ghp_"), g.pick(
        ["GITHUB_TOKEN", "GH_TOKEN", "GITHUB_PAT", "GITHUB_ACCESS_TOKEN"]))])
    add("vcs", "github-oauth", 1, lambda g: [S("vcs", "github-oauth", checksummed(g, "gho_"),
                                               g.pick(["GITHUB_OAUTH_TOKEN", "GH_OAUTH_TOKEN"]))])
    add("vcs", "github-app-token", 0.7, lambda g: [S("vcs", "github-app-token", checksummed(g, "ghs_"),
                                                     "GITHUB_APP_INSTALLATION_TOKEN")])
    add("vcs", "github-fine-grained-pat", 1, lambda g: [S(
        "vcs", "github-fine-grained-pat", "github_pat_" + g.s(ALNUM, 22) + "_" + g.s(ALNUM, 59),
        g.pick(["GITHUB_TOKEN", "GH_PAT"]))])
    add("vcs", "gitlab-pat", 1.5, lambda g: [S("vcs", "gitlab-pat", "glpat-" + g.s(URLSAFE, 20), g.pick(
        ["GITLAB_TOKEN", "GITLAB_PRIVATE_TOKEN", "GL_TOKEN"]))])
    add("vcs", "gitlab-deploy-token", 0.7, lambda g: [S("vcs", "gitlab-deploy-token", "gldt-" + g.s(URLSAFE, 20),
                                                        "GITLAB_DEPLOY_TOKEN")])
    add("vcs", "gitlab-runner-token", 0.7, lambda g: [S("vcs", "gitlab-runner-token", "glrt-" + g.s(URLSAFE, 20),
                                                        "RUNNER_TOKEN")])
    add("vcs", "bitbucket-app-password", 1, lambda g: [S(
        "vcs", "bitbucket-app-password", "ATBB" + g.s(ALNUM, 24) + g.s("0123456789ABCDEF", 8),
        g.pick(["BITBUCKET_APP_PASSWORD", "BB_APP_PASSWORD"]))])
    add("vcs", "bitbucket-access-token", 0.7, lambda g: [S(
        "vcs", "bitbucket-access-token", "ATCTT3xFfGN0" + g.s(URLSAFE, 170) + "=" + g.s("0123456789ABCDEF", 8),
        "BITBUCKET_ACCESS_TOKEN")])
    # payments
    add("payments", "stripe-secret-key", 2, lambda g: [S(
        "payments", "stripe-secret-key", "sk_live_" + (g.s(ALNUM, 24) if g.chance(0.5) else "51" + g.s(ALNUM, 97)),
        g.pick(["STRIPE_SECRET_KEY", "STRIPE_API_KEY", "STRIPE_KEY"]))])
    add("payments", "stripe-restricted-key", 0.7, lambda g: [S(
        "payments", "stripe-restricted-key", "rk_live_" + "51" + g.s(ALNUM, 97), "STRIPE_RESTRICTED_KEY")])
    add("payments", "stripe-webhook-secret", 1, lambda g: [S(
        "payments", "stripe-webhook-secret", "whsec_" + g.s(ALNUM, 32), "STRIPE_WEBHOOK_SECRET")])
    add("payments", "square-access-token", 1, lambda g: [S(
        "payments", "square-access-token", "EAAA" + g.s(URLSAFE, 60), "SQUARE_ACCESS_TOKEN")])
    add("payments", "square-oauth-secret", 0.7, lambda g: [S(
        "payments", "square-oauth-secret", "sq0csp-" + g.s(URLSAFE, 43), "SQUARE_APPLICATION_SECRET")])
    add("payments", "shopify-access-token", 1, lambda g: [S(
        "payments", "shopify-access-token", g.pick(["shpat_", "shpca_"]) + g.hexs(32),
        g.pick(["SHOPIFY_ACCESS_TOKEN", "SHOPIFY_ADMIN_TOKEN"]))])
    add("payments", "shopify-shared-secret", 0.7, lambda g: [S(
        "payments", "shopify-shared-secret", "shpss_" + g.hexs(32), "SHOPIFY_API_SECRET")])
    # messaging
    add("messaging", "slack-bot-token", 1.5, lambda g: [S(
        "messaging", "slack-bot-token", "xoxb-%s-%s-%s" % (g.digits(11, 13), g.digits(13, 13), g.s(ALNUM, 24)),
        g.pick(["SLACK_BOT_TOKEN", "SLACK_TOKEN"]))])
    add("messaging", "slack-user-token", 0.7, lambda g: [S(
        "messaging", "slack-user-token", "xoxp-%s-%s-%s-%s" % (g.digits(11, 12), g.digits(11, 13), g.digits(13, 13),
                                                              g.hexs(32)), "SLACK_USER_TOKEN")])
    add("messaging", "slack-app-token", 0.5, lambda g: [S(
        "messaging", "slack-app-token", "xapp-1-A%s-%s-%s" % (g.s(UPPER + DIGITS, 10), g.digits(13, 13), g.hexs(64)),
        "SLACK_APP_TOKEN")])
    add("messaging", "slack-webhook", 1.8, lambda g: [S(
        "messaging", "slack-webhook", slack_webhook(g), g.pick(["SLACK_WEBHOOK_URL", "SLACK_WEBHOOK",
                                                                 "ALERTS_WEBHOOK_URL"]))])
    add("messaging", "twilio-auth-token", 1.3, lambda g: [
        N("twilio-account-sid", "AC" + g.hexs(32), "TWILIO_ACCOUNT_SID", "messaging"),
        S("messaging", "twilio-auth-token", g.hexs(32), "TWILIO_AUTH_TOKEN")])
    add("messaging", "twilio-api-key-secret", 0.6, lambda g: [
        N("twilio-api-key-sid", "SK" + g.hexs(32), "TWILIO_API_KEY", "messaging"),
        S("messaging", "twilio-api-key-secret", g.s(ALNUM, 32), "TWILIO_API_SECRET")])
    add("messaging", "sendgrid-api-key", 1.5, lambda g: [S(
        "messaging", "sendgrid-api-key", "SG." + g.s(URLSAFE, 22) + "." + g.s(URLSAFE, 43),
        g.pick(["SENDGRID_API_KEY", "SENDGRID_KEY", "MAIL_API_KEY"]))])
    add("messaging", "discord-bot-token", 1, lambda g: [S(
        "messaging", "discord-bot-token", base64.b64encode(g.digits(18, 19).encode()).decode().rstrip("=")
        + "." + g.s(URLSAFE, 6) + "." + g.s(URLSAFE, g.pick([27, 38])), g.pick(["DISCORD_TOKEN",
                                                                               "DISCORD_BOT_TOKEN"]))])
    add("messaging", "discord-webhook", 0.8, lambda g: [S(
        "messaging", "discord-webhook", "https://discord.com/api/webhooks/%s/%s" % (g.digits(18, 19),
                                                                                   g.s(URLSAFE, 68)),
        "DISCORD_WEBHOOK_URL")])
    add("messaging", "telegram-bot-token", 1.3, lambda g: [S(
        "messaging", "telegram-bot-token", "%s:AA%s" % (g.digits(9, 10), g.s(URLSAFE, 33)),
        g.pick(["TELEGRAM_BOT_TOKEN", "TG_BOT_TOKEN"]))])
    # ai
    add("ai", "openai-project-key", 1.5, lambda g: [S(
        "ai", "openai-project-key", "sk-proj-" + g.s(URLSAFE, 74) + "T3BlbkFJ" + g.s(URLSAFE, 74),
        "OPENAI_API_KEY")])
    add("ai", "openai-legacy-key", 0.8, lambda g: [S(
        "ai", "openai-legacy-key", "sk-" + g.s(ALNUM, 20) + "T3BlbkFJ" + g.s(ALNUM, 20), "OPENAI_API_KEY")])
    add("ai", "anthropic-api-key", 1.5, lambda g: [S(
        "ai", "anthropic-api-key", "sk-ant-api03-" + g.s(URLSAFE, 93) + "AA", g.pick(["ANTHROPIC_API_KEY",
                                                                                   "CLAUDE_API_KEY"]))])
    add("ai", "huggingface-token", 1, lambda g: [S(
        "ai", "huggingface-token", "hf_" + g.s(LETTERS, 34), g.pick(["HF_TOKEN", "HUGGINGFACE_TOKEN",
                                                                      "HUGGING_FACE_HUB_TOKEN"]))])
    add("ai", "groq-api-key", 1, lambda g: [S("ai", "groq-api-key", "gsk_" + g.s(ALNUM, 52), "GROQ_API_KEY")])
    add("ai", "replicate-api-token", 1, lambda g: [S("ai", "replicate-api-token", "r8_" + g.s(ALNUM, 37),
                                                     "REPLICATE_API_TOKEN")])
    # registries
    add("registries", "npm-token", 2, lambda g: [S("registries", "npm-token", checksummed(g, "npm_"),
                                                   g.pick(["NPM_TOKEN", "NPM_AUTH_TOKEN", "NODE_AUTH_TOKEN"]))])
    add("registries", "pypi-token", 1.5, lambda g: [S(
        "registries", "pypi-token", "pypi-AgEIcHlwaS5vcmc" + g.s(URLSAFE, g.r.randint(140, 180)),
        g.pick(["PYPI_TOKEN", "TWINE_PASSWORD", "PYPI_API_TOKEN"]))])
    add("registries", "dockerhub-pat", 1.5, lambda g: [S(
        "registries", "dockerhub-pat", "dckr_pat_" + g.s(URLSAFE, 27), g.pick(["DOCKERHUB_TOKEN",
                                                                              "DOCKER_PASSWORD"]))])
    # database
    for scheme, w in (("postgres", 2), ("mysql", 1.2), ("mongodb", 1.2), ("redis", 1), ("amqp", 0.8)):
        add("database", scheme + "-url", w, (lambda sc: lambda g: [S(
            "database", sc + "-url", db_url(g, sc), g.pick(DB_NAMES[sc]))])(scheme))
    # private keys
    for kind, w in (("rsa-private-key", 1.5), ("pkcs8-private-key", 1), ("ec-private-key", 1),
                    ("openssh-private-key", 1)):
        add("private-key", kind, w, (lambda k: lambda g: [S(
            "private-key", k, private_key(g, k), g.pick(["PRIVATE_KEY", "SSH_PRIVATE_KEY", "SIGNING_KEY",
                                                         "TLS_KEY", "DEPLOY_KEY"]), form="pem")])(kind), form="pem")
    # jwt
    add("jwt", "jwt", 3, lambda g: [S("jwt", "jwt", jwt_token(g), g.pick(
        ["SUPABASE_SERVICE_ROLE_KEY", "API_JWT", "SERVICE_JWT", "ADMIN_JWT", "AUTH_JWT"]))])
    # generic
    for fam, w in (("password", 5), ("secret", 3.5), ("api_key", 2.5), ("token", 2.5)):
        add("generic", "generic-" + fam, w, (lambda f: lambda g: [S(
            "generic", "generic-" + f, generic_value(g, f), g.pick(GENERIC_NAMES[f]))])(fam))
    # passwords people chose, in real config files (flipped to decoys in tests and docs: see weak_context)
    add("password", "weak-password", 3, lambda g: [S("password", "weak-password", weak_password(g),
                                                     g.pick(WEAK_NAMES))])
    return K


# ==================================================================== decoys

def D(cat, kind, value, name, target, quoted=True, form="token"):
    return Item(False, cat, kind, value, name, target=target, quoted=quoted, form=form)


SECRETISH_NAMES = [("STRIPE_SECRET_KEY", "payments"), ("OPENAI_API_KEY", "ai"), ("GITHUB_TOKEN", "vcs"),
                   ("AWS_SECRET_ACCESS_KEY", "cloud"), ("SLACK_BOT_TOKEN", "messaging"), ("NPM_TOKEN", "registries"),
                   ("DB_PASSWORD", "generic"), ("API_KEY", "generic"), ("CLIENT_SECRET", "generic"),
                   ("AUTH_TOKEN", "generic"), ("PASSWORD", "generic"), ("SECRET_KEY", "generic"),
                   ("SENDGRID_API_KEY", "messaging"), ("ANTHROPIC_API_KEY", "ai"), ("DATABASE_URL", "database")]

CODE_FAMILIES = ("py", "js", "go", "java", "rb", "php")


def env_expr(g, fam, name):
    n = name
    return {
        "py": g.pick(['os.environ["%s"]' % n, 'os.getenv("%s")' % n, 'os.environ.get("%s", "")' % n,
                      "settings.%s" % n]),
        "js": g.pick(["process.env.%s" % n, "process.env['%s']" % n, "config.%s" % camel(n),
                      "import.meta.env.VITE_%s" % n]),
        "go": g.pick(['os.Getenv("%s")' % n, 'viper.GetString("%s")' % dotted(n)]),
        "java": g.pick(['System.getenv("%s")' % n, 'env.getProperty("%s")' % dotted(n)]),
        "rb": g.pick(['ENV["%s"]' % n, "ENV.fetch(\"%s\")" % n, "Rails.application.credentials.%s" % snake(n)]),
        "php": g.pick(["getenv('%s')" % n, "env('%s')" % n, "$_ENV['%s']" % n]),
    }[fam]


def identifier_expr(g, fam, name):
    """A code expression that reads a credential from somewhere else (so the literal is not a secret)."""
    low = snake(name)
    f = "password" if "PASSWORD" in name else "token" if "TOKEN" in name else "secret" if "SECRET" in name \
        else "api_key"
    table = {
        "py": {"password": ["user.password", 'form.cleaned_data["password"]', 'request.POST.get("password")',
                            "self.password"],
               "token": ['request.headers.get("Authorization")', "credentials.token", "self.%s" % low,
                         "session.access_token"],
               "secret": ['get_secret("%s")' % kebab(name), "self.client_secret", 'vault.read("app/%s")' % low],
               "api_key": ["self.api_key", 'config["api_key"]', "args.api_key"]},
        "js": {"password": ["user.password", "req.body.password", "values.password"],
               "token": ["req.headers.authorization", "session.accessToken", "await getToken()"],
               "secret": ["await getSecret('%s')" % kebab(name), "this.config.%s" % camel(name)],
               "api_key": ["options.apiKey", "this.config.%s" % camel(name)]},
        "go": {"password": ["creds.Password", 'r.FormValue("password")'],
               "token": ['r.Header.Get("X-Auth-Token")', "opts.Token"],
               "secret": ["cfg.%s" % pascal(name), "secrets.Get(ctx, \"%s\")" % kebab(name)],
               "api_key": ["cfg.%s" % pascal(name), "opts.APIKey"]},
        "java": {"password": ["credentials.getPassword()", "user.getPassword()"],
                 "token": ["request.getHeader(\"Authorization\")", "authentication.getToken()"],
                 "secret": ["props.get%s()" % pascal(name), "secretClient.getSecret(\"%s\")" % kebab(name)],
                 "api_key": ["props.get%s()" % pascal(name), "this.%s" % camel(name)]},
        "rb": {"password": ["user.password", "params[:password]"],
               "token": ["request.headers['Authorization']", "@%s" % low],
               "secret": ["credentials[:%s]" % low, "@%s" % low],
               "api_key": ["credentials[:%s]" % low, "options[:api_key]"]},
        "php": {"password": ["$request->input('password')", "$user->password"],
                "token": ["$request->bearerToken()", "$this->%s" % camel(name)],
                "secret": ["$config['%s']" % low, "$this->%s" % camel(name)],
                "api_key": ["$config['%s']" % low, "$this->%s" % camel(name)]},
    }
    return g.pick(table[fam][f])


def tiny_png(g):
    w = h = g.pick([8, 12, 16, 24])
    raw = b"".join(b"\x00" + g.rbytes(w * 3) for _ in range(h))

    def chunk(t, d):
        return struct.pack(">I", len(d)) + t + d + struct.pack(">I", zlib.crc32(t + d) & 0xFFFFFFFF)
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(png).decode()


def public_pem(g, kind):
    if kind == "certificate":
        body = bytes.fromhex("308203") + g.rbytes(2) + bytes.fromhex("308202") + g.rbytes(700)
        return pem_wrap("CERTIFICATE", body)
    body = bytes.fromhex("30820122300d06092a864886f70d01010105000382010f003082010a0282010100") + g.rbytes(256) \
        + bytes.fromhex("0203010001")
    return pem_wrap("PUBLIC KEY", body)


def ssh_pub(g):
    if g.chance(0.5):
        blob = ssh_string(b"ssh-ed25519") + ssh_string(g.rbytes(32))
        t = "ssh-ed25519"
    else:
        blob = ssh_string(b"ssh-rsa") + ssh_string(b"\x01\x00\x01") + ssh_string(b"\x00" + g.rbytes(256))
        t = "ssh-rsa"
    return "%s %s %s@%s" % (t, base64.b64encode(blob).decode(), g.pick(["deploy", "ci", "ops", "alice", "bob"]),
                            g.pick(SERVICES))


EXAMPLE_KEYS = [
    ("aws-example-key-id", "AKIAIOSFODNN7EXAMPLE", "AWS_ACCESS_KEY_ID", "cloud"),
    ("aws-example-secret", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "AWS_SECRET_ACCESS_KEY", "cloud"),
    ("slack-example-webhook", "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "SLACK_WEBHOOK_URL", "messaging"),
    ("jwt-io-example", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwia"
     "WF0IjoxNTE2MjM5MDIyfQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "EXAMPLE_JWT", "jwt"),
    ("azurite-dev-key", "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==",
     "AZURE_STORAGE_KEY", "cloud"),
    ("azurite-connection-string", "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey="
     "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;BlobEndpoint="
     "http://127.0.0.1:10000/devstoreaccount1;", "AZURE_STORAGE_CONNECTION_STRING", "cloud"),
    ("twilio-docs-sid", "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX", "TWILIO_ACCOUNT_SID", "messaging"),
]

PLACEHOLDERS = ["your-api-key", "your_api_key_here", "<YOUR_API_KEY>", "<TOKEN>", "<your-token>", "REPLACE_ME",
                "changeme", "CHANGE_ME", "xxxxxxxxxxxxxxxxxxxxxxxxxxxx", "XXXXXXXXXXXXXXXX", "********",
                "<redacted>", "TODO", "your-secret-here", "insert-token-here", "sk_live_xxxxxxxxxxxxxxxxxxxxxxxx",
                "ghp_xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "dummy", "none"]


I18N_TYPES = {"py", "js", "ts", "go", "java", "rb", "php", "yaml", "yml", "json", "properties", "xml", "helm"}


def test_context(path):
    """Test, fixture, example and local-development files, where weak values are expected."""
    return bool(re.search(r"(^|/)(tests?|spec|fixtures?|dev|examples?)/|test_|_test\.|\.(test|spec)\.|docker-compose|local|README|docs/", path))


WORDY = ["super", "secret", "dev", "local", "test", "my", "default", "insecure", "change", "please", "not",
         "real", "production", "prod", "staging", "app", "api", "key", "token", "jwt", "signing", "session",
         "cookie", "password", "admin", "company", "demo", "sandbox", "internal", "only", "do", "use", "this",
         "value", "temporary", "temp", "unsafe", "development", "replace", "before", "deploy", "shared", "team",
         "service", "backend", "frontend", "server", "client", "hello", "world", "welcome", "master", "access",
         "private", "spring", "summer", "winter", "dragon", "monkey", "sunshine", "football", "secure", "qa"]
LEET = {"a": "4", "e": "3", "o": "0", "i": "1", "s": "5", "t": "7"}


def word_made(g):
    """A human-made value: words joined with separators, camel case, digits, a symbol, maybe leetspeak.
    Sample configs and tests are full of these; Shannon entropy often rates them as high as a key."""
    while True:
        words = [g.pick(WORDY) for _ in range(g.r.randint(2, 5))]
        style = g.r.random()
        if style < 0.35:
            v = "".join(w.capitalize() for w in words)
        elif style < 0.7:
            v = g.pick(["-", "_", "."]).join(words)
        elif style < 0.85:
            v = "".join(words)
        else:
            v = "_".join(words).upper()
        if g.chance(0.3):
            v = "".join(LEET.get(c, c) if g.chance(0.6) else c for c in v)
        if g.chance(0.5):
            v += g.pick([str(g.r.randint(2015, 2026)), str(g.r.randint(1, 999)), "123", "1"])
        if g.chance(0.3):
            v += g.pick(["!", "#", "@", "$"])
        if 16 <= len(v) <= 48:
            break
    n = g.pick(["JWT_SECRET", "SESSION_SECRET", "SECRET_KEY", "APP_SECRET", "PASSWORD", "ADMIN_PASSWORD",
                "DB_PASSWORD", "API_KEY", "AUTH_TOKEN", "ACCESS_TOKEN", "COOKIE_SECRET", "SIGNING_SECRET"])
    if "PASSWORD" in n and weak_is_reportable(v):
        return S("password", "weak-password", v, n)
    return D("word-made", "word-made-value", v, n, "generic")


def decoy(g, ft, fam, path=""):
    """One decoy group suitable for file type ft (family fam: a code language or 'config') at path."""
    code = fam in CODE_FAMILIES
    if code and g.chance(0.15):
        n = g.pick(["PASSWORD", "TOKEN", "SECRET", "API_KEY", "ACCESS_TOKEN"])
        return [D("identifier", "code-identifier", identifier_expr(g, fam, n), n, "generic", quoted=False)]
    r = g.r.random()
    if test_context(path) and g.chance(0.4):
        r = 0.87 + 0.07 * g.r.random() * 0.7      # a weak test value or a local-development URL
    name, target = g.pick(SECRETISH_NAMES)
    if g.chance(0.12):
        return [word_made(g)]
    if r < 0.22:                                       # placeholders
        k = g.r.random()
        if code and k < 0.45:
            return [D("placeholder", "env-reference", env_expr(g, fam, name), name, target, quoted=False)]
        if k < 0.75:
            v = g.pick(PLACEHOLDERS)
            if v.startswith("sk_live_"):
                name, target = "STRIPE_SECRET_KEY", "payments"
            elif v.startswith("ghp_"):
                name, target = "GITHUB_TOKEN", "vcs"
            return [D("placeholder", "literal-placeholder", v, name, target)]
        if ft in ("k8s", "helm"):
            v = "{{ .Values.%s.%s }}" % (g.pick(SERVICES).replace("-", ""), camel(name))
        elif ft == "ci-github":
            v = "${{ secrets.%s }}" % name
        elif ft in ("ansible",):
            v = "{{ vault_%s }}" % snake(name)
        else:
            v = g.pick(["${%s}" % name, "${%s:-}" % name, "$%s" % name, "%%(%s)s" % snake(name)]
                       if fam in ("config",) else ["${%s}" % name])
        return [D("placeholder", "variable-reference", v, name, target)]
    if r < 0.30:
        kind, v, n, t = g.pick(EXAMPLE_KEYS)
        return [D("example-key", kind, v, n, t)]
    if r < 0.42:
        h = g.pick(["md5", "sha1", "sha256", "sha512-integrity"])
        data = g.rbytes(64)
        v = {"md5": hashlib.md5(data).hexdigest(), "sha1": hashlib.sha1(data).hexdigest(),
             "sha256": hashlib.sha256(data).hexdigest(),
             "sha512-integrity": "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()}[h]
        n = g.pick({"md5": ["MD5", "CHECKSUM", "ETAG", "CONTENT_MD5"], "sha1": ["SHA1", "FILE_HASH", "DIGEST"],
                    "sha256": ["SHA256", "CHECKSUM_SHA256", "IMAGE_DIGEST", "ARTIFACT_SHA256", "KEY_FINGERPRINT"],
                    "sha512-integrity": ["INTEGRITY"]}[h])
        return [D("hash", h, v, n, "generic")]
    if r < 0.50:
        return [D("uuid", "uuid", g.uuid4(), g.pick(["TENANT_ID", "REQUEST_ID", "CLIENT_ID", "SUBSCRIPTION_ID",
                                                      "CORRELATION_ID", "KEY_ID", "PROJECT_ID", "DEVICE_ID"]), "generic")]
    if r < 0.56:
        return [D("git-sha", "git-sha", hashlib.sha1(g.rbytes(20)).hexdigest(),
                  g.pick(["GIT_COMMIT", "GIT_SHA", "REVISION", "BUILD_COMMIT", "SOURCE_VERSION"]), "generic")]
    if r < 0.62:
        k = g.pick(["semver", "date", "number"])
        if k == "semver":
            v = "%d.%d.%d" % (g.r.randint(0, 9), g.r.randint(0, 30), g.r.randint(0, 40))
            n = g.pick(["VERSION", "APP_VERSION", "SDK_VERSION", "TOKEN_FORMAT_VERSION"])
        elif k == "date":
            v = "20%02d-%02d-%02d" % (g.r.randint(18, 25), g.r.randint(1, 12), g.r.randint(1, 28))
            n = g.pick(["STRIPE_API_VERSION", "API_VERSION"])
        else:
            v = str(g.pick([8, 12, 16, 3600, 86400, 900, 90]))
            n = g.pick(["PASSWORD_MIN_LENGTH", "TOKEN_TTL_SECONDS", "SECRET_ROTATION_DAYS", "SESSION_TOKEN_EXPIRY"])
        return [D("version", k, v, n, "generic", quoted=(k != "number" or not code))]
    if r < 0.68:
        v = g.pick(["/run/secrets/db_password", "/etc/ssl/private/server.key", "~/.ssh/id_ed25519",
                    "./secrets/api_token.txt", "config/credentials.yml.enc", "/var/run/secrets/kubernetes.io/"
                    "serviceaccount/token", "certs/tls.key", "/etc/app/jwt-signing.pem"])
        n = g.pick(["PASSWORD_FILE", "SECRET_PATH", "KEY_FILE", "TOKEN_PATH", "SSL_KEY", "PRIVATE_KEY_PATH"])
        return [D("path", "file-path", v, n, "generic")]
    if r < 0.75 and code:
        n = g.pick(["PASSWORD", "TOKEN", "SECRET", "API_KEY", "ACCESS_TOKEN"])
        return [D("identifier", "code-identifier", identifier_expr(g, fam, n), n, "generic", quoted=False)]
    if r < 0.80 and ft in I18N_TYPES:
        k, n, v = g.pick([("label", "PASSWORD_LABEL", "Password:"), ("label", "PASSWORD_FIELD_LABEL", "Password"),
                          ("label", "API_KEY_LABEL", "API key"), ("label", "ACCESS_TOKEN_LABEL", "Access token"),
                          ("label", "CLIENT_SECRET_LABEL", "Client secret"),
                          ("prompt", "PASSWORD_PROMPT", "Enter your password"),
                          ("prompt", "TOKEN_PROMPT", "Paste your API token here"),
                          ("prompt", "CONFIRM_PASSWORD", "Confirm password"),
                          ("message", "TOKEN_EXPIRED", "Your session token has expired, please sign in again"),
                          ("message", "INVALID_PASSWORD", "Invalid password or username"),
                          ("message", "INVALID_API_KEY", "The API key you provided is not valid")])
        return [D("i18n", k, v, n, "generic")]
    if r < 0.86:
        k = g.pick(["public-key-pem", "certificate", "ssh-public-key", "stripe-publishable-key"])
        if k == "ssh-public-key":
            return [D("public-key", k, ssh_pub(g), g.pick(["SSH_PUBLIC_KEY", "DEPLOY_PUBLIC_KEY"]), "private-key")]
        if k == "stripe-publishable-key":
            return [D("public-key", k, "pk_live_" + g.s(ALNUM, 24), "STRIPE_PUBLISHABLE_KEY", "payments")]
        return [D("public-key", k, public_pem(g, k), g.pick(["PUBLIC_KEY", "JWT_PUBLIC_KEY", "CA_CERT", "TLS_CERT"]),
                  "private-key", form="pem")]
    if r < 0.94 and test_context(path):
        k = g.r.random()
        if k < 0.35:
            n, v = g.pick([("PASSWORD", "test"), ("PASSWORD", "password"), ("DB_PASSWORD", "postgres"),
                           ("SECRET", "secret"), ("API_KEY", "test"), ("TOKEN", "dummy-token"),
                           ("ADMIN_PASSWORD", "admin"), ("API_KEY", "testkey"), ("PASSWORD", "123456")])
            return [D("test-value", "weak-test-value", v, n, "generic")]
        if k < 1.0:
            v, n = g.pick([("postgres://postgres:postgres@localhost:5432/app_test", "TEST_DATABASE_URL"),
                           ("mysql://root:root@127.0.0.1:3306/test", "DATABASE_URL"),
                           ("mongodb://localhost:27017/test", "MONGO_URL"),
                           ("postgresql://user:password@localhost/dbname", "DATABASE_URL"),
                           ("amqp://guest:guest@localhost:5672/", "BROKER_URL"),
                           ("redis://:password@localhost:6379/0", "REDIS_URL")])
            return [D("test-value", "local-dev-url", v, n, "database")]
        v, n = g.pick([("https://api.%s.example.com/v2" % g.pick(SERVICES), "API_URL"),
                       ("redis://redis:6379/0", "REDIS_URL"), ("postgres://db:5432/app", "DATABASE_URL"),
                       ("https://hooks.example.com/deploy", "WEBHOOK_ENDPOINT")])
        return [D("url", "url-without-credentials", v, n, "database")]
    if r < 0.94:
        v, n = g.pick([("https://api.%s.example.com/v2" % g.pick(SERVICES), "API_URL"),
                       ("redis://redis:6379/0", "REDIS_URL"), ("postgres://db:5432/app", "DATABASE_URL"),
                       ("https://hooks.example.com/deploy", "WEBHOOK_ENDPOINT")])
        return [D("url", "url-without-credentials", v, n, "database")]
    return [D("base64-image", "png-data-uri", tiny_png(g), g.pick(["LOGO_PNG", "PLACEHOLDER_IMAGE", "ICON_DATA"]),
              "generic")]


# ==================================================================== renderers

def qv(item, q='"'):
    """marker wrapped in quotes unless the item is a code expression."""
    return (q + "%s" + q) if item.quoted else "%s"


def yaml_scalar(item, m):
    v = item.file_value
    if not item.quoted:
        return m
    special = (v[:1] in "{[*&!%@`'\"<>|#?,-" or ": " in v or " #" in v or v.strip() != v or v == ""
               or v.lower() in ("yes", "no", "true", "false", "null", "on", "off") or v.replace(".", "").isdigit())
    return '"%s"' % m if special else m


def pem_for(g, item, style, indent=""):
    """Set item.file_value for a PEM in the given style; return marker."""
    pem = item.value
    if style == "raw":
        item.file_value = pem
    elif style == "indent":
        item.file_value = pem.replace("\n", "\n" + indent)
    elif style == "escaped":
        item.file_value = pem.replace("\n", "\\n")
    return g.mark(item)


class Ctx:
    def __init__(self, g, ft, fam):
        self.g, self.ft, self.fam = g, ft, fam


def render_code(c, item, where):
    """One assignment line (or several for PEM) in a programming language."""
    g, fam = c.g, c.fam
    n = item.name
    if item.form == "pem":
        if fam == "py":
            return ['%s = """%s"""' % (n, pem_for(g, item, "raw"))]
        if fam == "js":
            return ["const %s = `%s`;" % (camel(n), pem_for(g, item, "raw"))]
        if fam == "go":
            return ["const %s = `%s`" % (camel(n), pem_for(g, item, "raw"))]
        if fam == "rb":
            return ["%s = <<~PEM" % n, "  " + pem_for(g, item, "indent", "  "), "PEM"]
        if fam == "php":
            return ["$%s = <<<PEM" % camel(n), pem_for(g, item, "raw"), "PEM;"]
        return ['    private static final String %s = "%s";' % (n, pem_for(g, item, "escaped"))]
    m = g.mark(item)
    val = qv(item) % m
    sq = qv(item, "'") % m
    if fam == "py":
        opts = ["%s = %s" % (n, val), "%s = %s" % (snake(n), sq)]
        if where == "func":
            opts = ["    %s = %s" % (snake(n), val), '    os.environ["%s"] = %s' % (n, val)] if item.quoted else \
                ["    %s = %s" % (snake(n), val)]
        elif where == "dict":
            opts = ['    "%s": %s,' % (snake(n), val)]
        return [g.pick(opts)]
    if fam == "js":
        if where == "dict":
            return ["  %s: %s," % (camel(n), sq)]
        if c.ft == "ts":
            return [g.pick(["export const %s: string = %s;" % (n, sq), "const %s = %s;" % (camel(n), val)])]
        return [g.pick(["const %s = %s;" % (camel(n), sq), "const %s = %s;" % (n, val),
                        "module.exports.%s = %s;" % (camel(n), sq)])]
    if fam == "go":
        if where == "func":
            return ["\t%s := %s" % (camel(n), val)]
        if where == "dict":
            return ["\t\t%s: %s," % (pascal(n), val)]
        return ["const %s = %s" % (camel(n), val) if item.quoted else "var %s = %s" % (camel(n), val)]
    if fam == "java":
        if where == "func":
            return ["        String %s = %s;" % (camel(n), val)]
        return ["    private static final String %s = %s;" % (n, val)]
    if fam == "rb":
        if where == "dict":
            return ["  %s: %s," % (snake(n), val)]
        if where == "func":
            return ["  config.%s = %s" % (snake(n), val)]
        return [g.pick(["%s = %s" % (n, sq), "%s = %s.freeze" % (n, val)])]
    if fam == "php":
        if where == "dict":
            return ["    '%s' => %s," % (snake(n), sq)]
        return [g.pick(["$%s = %s;" % (camel(n), sq), "define('%s', %s);" % (n, sq)])]
    raise ValueError(fam)


def render_group_code(c, group, where):
    g = c.g
    if c.fam == "py" and where == "top" and group[0].kind == "aws-access-key-id" and g.chance(0.5):
        a, b = group
        return ["s3 = boto3.client(", '    "s3",', '    region_name="%s",' % g.pick(REGIONS),
                '    aws_access_key_id="%s",' % g.mark(a), '    aws_secret_access_key="%s",' % g.mark(b), ")"]
    out = []
    for it in group:
        out += render_code(c, it, where)
    return out


# ---------------------------------------------------------------- filler for code

def filler_py(g):
    nn, vb, at = g.pick(NOUNS), g.pick(VERBS), g.pick(ATTRS)
    return g.pick([
        ["def %s_%s(%ss, limit=%d):" % (vb, nn, nn, g.r.randint(5, 500)),
         '    """%s %s records and keep the relevant ones."""' % (vb.title(), nn),
         "    result = []", "    for %s in %ss:" % (nn, nn),
         "        if %s.%s and len(result) < limit:" % (nn, at), "            result.append(%s)" % nn,
         '    log.debug("%s %%d %ss", len(result))' % (vb, nn), "    return result"],
        ["class %sService:" % pascal(nn), "    def __init__(self, repo, cache=None):", "        self.repo = repo",
         "        self.cache = cache or {}", "", "    def %s(self, %s_id):" % (vb, nn),
         "        if %s_id in self.cache:" % nn, "            return self.cache[%s_id]" % nn,
         "        value = self.repo.get(%s_id)" % nn, "        self.cache[%s_id] = value" % nn, "        return value"],
        ["@dataclass", "class %s:" % pascal(nn), "    id: int", "    %s: str = \"\"" % at,
         "    tags: list = field(default_factory=list)"],
        ["DEFAULT_TIMEOUT = %d" % g.r.randint(5, 60), "MAX_RETRIES = %d" % g.r.randint(2, 8),
         'REGION = "%s"' % g.pick(REGIONS)],
        ["def _%s_key(%s):" % (nn, nn), '    return f"%s:{%s.id}:{%s.%s}"' % (nn, nn, nn, at)],
    ])


def filler_js(g, ts=False):
    nn, vb, at = g.pick(NOUNS), g.pick(VERBS), g.pick(ATTRS)
    typ = ": %s[]" % pascal(nn) if ts else ""
    return g.pick([
        ["export async function %s%s(%ss%s) {" % (vb, pascal(nn), nn, typ),
         "  const out = [];", "  for (const %s of %ss) {" % (nn, nn), "    if (%s.%s) out.push(%s);" % (nn, camel(at), nn),
         "  }", "  return out;", "}"],
        ["export class %sStore {" % pascal(nn), "  constructor(client) {", "    this.client = client;",
         "    this.items = new Map();", "  }", "", "  async %s(id) {" % vb,
         "    if (!this.items.has(id)) this.items.set(id, await this.client.get(`/%ss/${id}`));" % nn,
         "    return this.items.get(id);", "  }", "}"],
        ["const DEFAULT_PAGE_SIZE = %d;" % g.pick([20, 50, 100]), "const RETRY_DELAY_MS = %d;" % g.pick([250, 500, 1000])],
        ["function %sKey(%s) {" % (nn, nn), "  return `%s:${%s.id}`;" % (nn, nn), "}"],
        (["export interface %s {" % pascal(nn), "  id: string;", "  %s?: string;" % camel(at), "}"] if ts else
         ["router.get('/%ss/:id', async (req, res) => {" % nn, "  const item = await %sService.%s(req.params.id);"
          % (nn, vb), "  res.json(item);", "});"]),
    ])


def filler_go(g):
    nn, vb, at = g.pick(NOUNS), g.pick(VERBS), g.pick(ATTRS)
    return g.pick([
        ["func %s%s(ctx context.Context, ids []string) ([]%s, error) {" % (pascal(vb), pascal(nn), pascal(nn)),
         "\tout := make([]%s, 0, len(ids))" % pascal(nn), "\tfor _, id := range ids {",
         "\t\titem, err := store.Get(ctx, id)", "\t\tif err != nil {",
         '\t\t\treturn nil, fmt.Errorf("%s %%s: %%w", id, err)' % vb, "\t\t}", "\t\tout = append(out, item)", "\t}",
         "\treturn out, nil", "}"],
        ["type %s struct {" % pascal(nn), "\tID   string `json:\"id\"`",
         "\t%s string `json:\"%s\"`" % (pascal(at), at), "}"],
        ["const defaultTimeout = %d * time.Second" % g.r.randint(5, 60)],
    ])


def filler_java(g):
    nn, vb, at = g.pick(NOUNS), g.pick(VERBS), g.pick(ATTRS)
    return g.pick([
        ["    public List<%s> %s%s(List<String> ids) {" % (pascal(nn), vb, pascal(nn)),
         "        List<%s> out = new ArrayList<>();" % pascal(nn), "        for (String id : ids) {",
         "            repository.findById(id).ifPresent(out::add);", "        }", "        return out;", "    }"],
        ["    private static final int MAX_%sS = %d;" % (nn.upper(), g.r.randint(10, 1000))],
        ["    @Override", "    public String toString() {",
         '        return "%s{" + "%s=" + %s + "}";' % (pascal(nn), camel(at), camel(at)), "    }"],
    ])


def filler_rb(g):
    nn, vb, at = g.pick(NOUNS), g.pick(VERBS), g.pick(ATTRS)
    return g.pick([
        ["def %s_%s(%ss)" % (vb, nn, nn), "  %ss.select { |%s| %s.%s.present? }" % (nn, nn[0], nn[0], at), "end"],
        ["class %s < ApplicationRecord" % pascal(nn), "  belongs_to :%s" % g.pick(NOUNS),
         "  validates :%s, presence: true" % at, "end"],
        ["DEFAULT_PER_PAGE = %d" % g.pick([25, 50])],
    ])


def filler_php(g):
    nn, vb, at = g.pick(NOUNS), g.pick(VERBS), g.pick(ATTRS)
    return g.pick([
        ["function %s%s(array $%ss): array" % (vb, pascal(nn), nn), "{",
         "    return array_filter($%ss, fn($x) => !empty($x['%s']));" % (nn, at), "}"],
        ["class %sController extends Controller" % pascal(nn), "{", "    public function show($id)", "    {",
         "        return view('%ss.show', ['%s' => %s::findOrFail($id)]);" % (nn, nn, pascal(nn)), "    }", "}"],
    ])


CODE_HEADERS = {
    "py": lambda g: ["import logging", "import os", "from dataclasses import dataclass, field", "",
                     "log = logging.getLogger(__name__)"],
    "js": lambda g: ["'use strict';", "", "const axios = require('axios');"],
    "ts": lambda g: ["import { Router } from 'express';", "import axios from 'axios';"],
    "go": lambda g: ["package %s" % g.pick(SERVICES).replace("-", ""), "", "import (", '\t"context"', '\t"fmt"',
                     '\t"os"', '\t"time"', ")"],
    "rb": lambda g: ["# frozen_string_literal: true", "", "require 'json'"],
    "php": lambda g: ["<?php", "", "namespace App\\Services;"],
}


def build_code(c, groups):
    g, ft, fam = c.g, c.ft, c.fam
    filler = {"py": filler_py, "js": lambda g: filler_js(g, ft == "ts"), "go": filler_go, "java": filler_java,
              "rb": filler_rb, "php": filler_php}[fam]
    blocks, seen = [], set()
    for _ in range(g.r.randint(2, 8)):
        b = filler(g)
        if tuple(b) not in seen:
            seen.add(tuple(b))
            blocks.append(b)
    plants = []
    for grp in groups:
        where = g.pick(["top", "top", "func", "dict"]) if grp[0].form != "pem" else "top"
        lines = render_group_code(c, grp, where)
        if where == "func":
            lines = {"py": ["def configure_%s():" % g.pick(NOUNS)] + lines + ["    return True"],
                     "js": lines, "go": ["func init() {"] + lines + ["\t_ = os.Args", "}"],
                     "java": ["    public void configure() {"] + lines + ["    }"],
                     "rb": ["Rails.application.configure do"] + lines + ["end"],
                     "php": lines}[fam]
            if fam in ("js", "php"):
                lines = [l.strip() for l in lines]
        elif where == "dict":
            lines = {"py": ["%s_CONFIG = {" % g.pick(NOUNS).upper()] + lines + ["}"],
                     "js": ["const %sConfig = {" % g.pick(NOUNS)] + lines + ["};"],
                     "go": ["var %sConfig = Config{" % g.pick(NOUNS)] + [l[1:] for l in lines] + ["}"],
                     "java": lines, "rb": ["SETTINGS = {"] + lines + ["}.freeze"],
                     "php": ["$config = ["] + lines + ["];"]}[fam]
        plants.append(lines)
    for p in plants:
        blocks.insert(g.r.randint(0, len(blocks)), p)
    if fam == "java":
        cls = pascal(g.pick(NOUNS)) + g.pick(["Service", "Client", "Config", "Repository"])
        head = ["package com.acme.%s;" % g.pick(SERVICES).replace("-", ""), "", "import java.util.ArrayList;",
                "import java.util.List;", "", "public class %s {" % cls]
        return "\n".join(head + sum([b + [""] for b in blocks], []) + ["}"]) + "\n"
    head = CODE_HEADERS[ft if ft in CODE_HEADERS else fam](g)
    return "\n".join(head + [""] + sum([b + [""] for b in blocks], [])) + "\n"


# ---------------------------------------------------------------- config formats

def kv_line(c, item, style):
    """style: env, properties, ini, toml, tfvars, sh, dockerfile, yaml(indent)"""
    g = c.g
    n = item.name
    if item.form == "pem":
        if style == "toml":
            return ['%s = """' % snake(n), pem_for(g, item, "raw"), '"""']
        if style in ("tfvars", "tf"):
            return ["%s = <<EOT" % snake(n), pem_for(g, item, "raw"), "EOT"]
        if style == "sh":
            return ["cat > /tmp/%s.pem <<'EOF'" % kebab(n), pem_for(g, item, "raw"), "EOF"]
        m = pem_for(g, item, "escaped")
        if style == "env":
            return ['%s="%s"' % (n, m)]
        if style == "properties":
            return ["%s=%s" % (dotted(n), m)]
        return ['%s = "%s"' % (snake(n), m)]
    m = g.mark(item)
    if style == "env":
        return [g.pick(["%s=%s" % (n, m), '%s="%s"' % (n, m)]) if (item.quoted and " " not in item.value)
                else '%s="%s"' % (n, m)]
    if style == "properties":
        return ["%s%s=%s" % (g.pick(["", "app.", "spring.", "integration."]), g.pick([dotted(n), kebab(n)]), m)]
    if style == "ini":
        return ["%s = %s" % (snake(n), m)]
    if style in ("toml", "tfvars", "tf"):
        return ['%s = "%s"' % (snake(n), m)]
    if style == "sh":
        if item.secret and item.category not in ("generic", "database", "cloud", "password") and g.chance(0.3):
            return ['curl -fsS -H "Authorization: Bearer %s" https://api.%s.example.com/v1/status' % (
                m, g.pick(SERVICES))]
        return [g.pick(['export %s="%s"' % (n, m), "%s='%s'" % (n, m)]) if "'" not in item.value
                else 'export %s="%s"' % (n, m)]
    if style == "dockerfile":
        return [g.pick(["ENV %s=%s" % (n, m), 'ENV %s="%s"' % (n, m), "ARG %s=%s" % (n, m)])
                if " " not in item.value else 'ENV %s="%s"' % (n, m)]
    raise ValueError(style)


def yaml_lines(c, item, indent, key=None):
    g = c.g
    key = key or snake(item.name)
    if item.form == "pem":
        return ["%s%s: |" % (indent, key), indent + "  " + pem_for(g, item, "indent", indent + "  ")]
    m = g.mark(item)
    return ["%s%s: %s" % (indent, key, yaml_scalar(item, m))]


def shuffle_in(g, base, plants):
    for p in plants:
        base.insert(g.r.randint(0, len(base)), p)
    return base


def build_flat(c, groups, style):
    g = c.g
    if style == "env":
        filler = [["NODE_ENV=production"], ["PORT=%d" % g.pick([3000, 8080, 8000])], ["LOG_LEVEL=info"],
                  ["APP_NAME=%s" % g.pick(SERVICES)], ["# %s" % g.pick(["Service configuration", "Third-party APIs",
                                                                         "Feature flags"])],
                  ["FEATURE_%s=true" % g.pick(NOUNS).upper()], ["AWS_REGION=%s" % g.pick(REGIONS)]]
        head = []
    elif style == "properties":
        filler = [["server.port=%d" % g.pick([8080, 8443])], ["spring.application.name=%s" % g.pick(SERVICES)],
                  ["logging.level.root=INFO"], ["spring.jpa.hibernate.ddl-auto=validate"],
                  ["management.endpoints.web.exposure.include=health,info"],
                  ["spring.datasource.url=jdbc:postgresql://%s:5432/%s" % (g.pick(HOSTS), g.pick(NOUNS))],
                  ["spring.datasource.username=%s" % g.pick(SERVICES).replace("-", "_")]]
        head = ["# %s settings" % g.pick(SERVICES)]
    elif style == "sh":
        filler = [["echo \"deploying %s to ${ENVIRONMENT:-staging}\"" % g.pick(SERVICES)],
                  ["if [ ! -d build ]; then", "  mkdir -p build", "fi"],
                  ["%s() {" % g.pick(VERBS), "  local target=$1", "  rsync -az dist/ \"$target\"", "}"],
                  ["docker build -t %s:${GIT_TAG:-latest} ." % g.pick(SERVICES)],
                  ["kubectl rollout status deploy/%s --timeout=120s" % g.pick(SERVICES)]]
        head = ["#!/usr/bin/env bash", "set -euo pipefail"]
    elif style == "dockerfile":
        filler = [["WORKDIR /app"], ["COPY package*.json ./", "RUN npm ci --omit=dev"], ["COPY . ."],
                  ["EXPOSE %d" % g.pick([3000, 8080])], ["RUN apt-get update && apt-get install -y --no-install-recommends curl"]]
        head = ["FROM %s" % g.pick(["node:20-alpine", "python:3.12-slim", "golang:1.22", "eclipse-temurin:21-jre"])]
        tail = ['CMD ["%s"]' % g.pick(["node", "python", "/app/server"])]
    elif style == "tfvars":
        filler = [['region = "%s"' % g.pick(REGIONS)], ['environment = "%s"' % g.pick(["prod", "staging"])],
                  ["instance_count = %d" % g.r.randint(1, 6)], ['project = "%s"' % g.pick(SERVICES)]]
        head = []
    else:
        raise ValueError(style)
    plants = []
    for grp in groups:
        lines = []
        for it in grp:
            lines += kv_line(c, it, style)
        plants.append(lines)
    base = g.r.sample(filler, min(len(filler), g.r.randint(3, 6)))
    body = shuffle_in(g, base, plants)
    lines = head + sum(body, [])
    if style == "dockerfile":
        lines += tail
    return "\n".join(lines) + "\n"


def build_sectioned(c, groups, style):
    """ini / toml: [section] key = value"""
    g = c.g
    secs = g.r.sample(["server", "database", "cache", "logging", "integrations", "auth", "mail", "storage"], 4)
    content = {s: [] for s in secs}
    for s in secs:
        for k, v in g.r.sample([("host", '"%s"' % g.pick(HOSTS)), ("port", str(g.pick([5432, 6379, 8080]))),
                                ("enabled", "true"), ("timeout", str(g.r.randint(5, 60))), ("level", '"info"'),
                                ("region", '"%s"' % g.pick(REGIONS)), ("pool_size", str(g.r.randint(2, 20)))],
                               g.r.randint(1, 4)):
            content[s].append(["%s = %s" % (k, v if style == "toml" else v.strip('"'))])
    for grp in groups:
        lines = []
        for it in grp:
            lines += kv_line(c, it, style)
        s = g.pick(secs)
        content[s].insert(g.r.randint(0, len(content[s])), lines)
    out = []
    for s in secs:
        out += ["[%s]" % s] + sum(content[s], []) + [""]
    return "\n".join(out)


def build_yaml(c, groups):
    g = c.g
    secs = g.r.sample(["server", "database", "cache", "logging", "integrations", "auth", "mail", "storage",
                       "features"], 4)
    content = {s: [] for s in secs}
    for s in secs:
        for line in g.r.sample(["  host: %s" % g.pick(HOSTS), "  port: %d" % g.pick([5432, 6379, 8080]),
                                "  enabled: true", "  timeout: %ds" % g.r.randint(5, 60), "  level: info",
                                "  region: %s" % g.pick(REGIONS), "  pool_size: %d" % g.r.randint(2, 20)],
                               g.r.randint(1, 4)):
            content[s].append([line])
    for grp in groups:
        lines = []
        for it in grp:
            lines += yaml_lines(c, it, "  ")
        s = g.pick(secs)
        content[s].insert(g.r.randint(0, len(content[s])), lines)
    out = ["# %s configuration" % g.pick(SERVICES)]
    for s in secs:
        out += ["%s:" % s] + sum(content[s], [])
    return "\n".join(out) + "\n"


def build_json(c, groups):
    g = c.g
    secs = g.r.sample(["server", "database", "cache", "logging", "integrations", "auth", "mail", "storage"], 3)
    doc = {"name": g.pick(SERVICES), "version": "%d.%d.%d" % (g.r.randint(0, 3), g.r.randint(0, 20), g.r.randint(0, 9))}
    for s in secs:
        doc[s] = {k: v for k, v in g.r.sample([("host", g.pick(HOSTS)), ("port", g.pick([5432, 6379, 8080])),
                                               ("enabled", True), ("timeoutMs", g.r.randint(500, 9000)),
                                               ("region", g.pick(REGIONS)), ("retries", g.r.randint(1, 5))], 3)}
    for grp in groups:
        s = g.pick(secs)
        keyf = g.pick([camel, snake])
        for it in grp:
            if it.form == "pem":
                m = pem_for(g, it, "escaped")
            else:
                m = g.mark(it)
            doc[s][keyf(it.name)] = m
    return json.dumps(doc, indent=2) + "\n"


def build_xml(c, groups):
    g = c.g
    p = c.path.lower()
    flavour = ("webconfig" if p.endswith("web.config") else "spring" if "applicationcontext" in p else
               "android" if "/res/values/" in p else "maven")
    rows = []
    for grp in groups:
        for it in grp:
            if it.form == "pem":
                m = pem_for(g, it, "raw")
            else:
                m = g.mark(it)
            if flavour == "webconfig":
                rows.append(['    <add key="%s" value="%s" />' % (pascal(it.name), m)])
            elif flavour == "spring":
                rows.append(['        <property name="%s" value="%s"/>' % (camel(it.name), m)])
            elif flavour == "android":
                rows.append(['    <string name="%s">%s</string>' % (snake(it.name), m)])
            else:
                rows.append(["      <%s>%s</%s>" % (camel(it.name), m, camel(it.name))])
    if flavour == "webconfig":
        filler = [['    <add key="Environment" value="Production" />'], ['    <add key="PageSize" value="50" />'],
                  ['    <add key="ServiceUrl" value="https://%s.internal/api" />' % g.pick(SERVICES)]]
        body = shuffle_in(g, [g.pick(filler) for _ in range(3)], rows)
        return "\n".join(['<?xml version="1.0" encoding="utf-8"?>', "<configuration>", "  <appSettings>"]
                         + sum(body, []) + ["  </appSettings>", "</configuration>"]) + "\n"
    if flavour == "spring":
        filler = [['        <property name="maxPoolSize" value="20"/>'], ['        <property name="url" value='
                                                                             '"jdbc:mysql://%s:3306/app"/>' % g.pick(HOSTS)]]
        body = shuffle_in(g, [g.pick(filler) for _ in range(2)], rows)
        return "\n".join(['<?xml version="1.0" encoding="UTF-8"?>', '<beans xmlns="http://www.springframework.org/'
                          'schema/beans">', '    <bean id="%sClient" class="com.acme.%sClient">' % (
                              g.pick(NOUNS), pascal(g.pick(NOUNS)))] + sum(body, []) + ["    </bean>", "</beans>"]) + "\n"
    if flavour == "android":
        filler = [['    <string name="app_name">%s</string>' % pascal(g.pick(SERVICES))],
                  ['    <string name="welcome">Welcome back!</string>'], ['    <string name="retry">Try again</string>']]
        body = shuffle_in(g, [g.pick(filler) for _ in range(3)], rows)
        return "\n".join(['<?xml version="1.0" encoding="utf-8"?>', "<resources>"] + sum(body, [])
                         + ["</resources>"]) + "\n"
    body = shuffle_in(g, [["      <id>%s-releases</id>" % g.pick(SERVICES)], ["      <username>deploy</username>"]],
                      rows)
    return "\n".join(["<settings>", "  <servers>", "    <server>"] + sum(body, []) +
                     ["    </server>", "  </servers>", "</settings>"]) + "\n"


def build_tf(c, groups):
    g = c.g
    blocks = [['resource "aws_s3_bucket" "%s" {' % g.pick(NOUNS), '  bucket = "%s-%s"' % (g.pick(SERVICES),
                                                                                             g.pick(NOUNS)), "}"],
              ['variable "region" {', '  default = "%s"' % g.pick(REGIONS), "}"],
              ['module "vpc" {', '  source  = "terraform-aws-modules/vpc/aws"', '  version = "5.%d.0"' % g.r.randint(0, 9),
               '  cidr    = "10.%d.0.0/16"' % g.r.randint(0, 250), "}"]]
    plants = []
    for grp in groups:
        if grp[0].kind == "aws-access-key-id":
            a, b = grp
            plants.append(['provider "aws" {', '  region     = "%s"' % g.pick(REGIONS),
                           '  access_key = "%s"' % g.mark(a), '  secret_key = "%s"' % g.mark(b), "}"])
            continue
        lines = []
        for it in grp:
            lines += kv_line(c, it, "tf")
        kind = g.pick(["variable", "locals", "resource"])
        if kind == "variable" and len(grp) == 1 and grp[0].form != "pem":
            it = grp[0]
            plants.append(['variable "%s" {' % snake(it.name), '  type    = string',
                           '  default = "%s"' % lines[0].split('"', 1)[1].rsplit('"', 1)[0], "}"])
        elif kind == "resource":
            plants.append(['resource "kubernetes_secret" "%s" {' % g.pick(SERVICES).replace("-", "_"),
                           "  metadata {", '    name = "%s-credentials"' % g.pick(SERVICES), "  }", "  data = {"]
                          + ["    " + l if not l.startswith("@@") and l != "EOT" else l for l in lines] + ["  }", "}"])
        else:
            plants.append(["locals {"] + ["  " + l if not l.startswith("@@") and l != "EOT" else l for l in lines]
                          + ["}"])
    body = shuffle_in(g, [g.pick(blocks) for _ in range(g.r.randint(2, 4))], plants)
    return "\n".join(sum([b + [""] for b in body], []))


def build_md(c, groups):
    g = c.g
    svc = g.pick(SERVICES)
    paras = [["## Development", "", "Install the dependencies and start the server:", "", "```sh", "make dev", "```"],
             ["## Architecture", "", "The %s service reads from the queue and writes to %s." % (svc, g.pick(NOUNS))],
             ["## Testing", "", "Run `make test`; integration tests need Docker."],
             ["## Troubleshooting", "", "If the %s job fails, check the logs in the dashboard." % g.pick(NOUNS)]]
    plants = []
    for grp in groups:
        lang = g.pick(["sh", "env", "python"])
        lines = []
        for it in grp:
            if lang == "python" and it.form != "pem":
                m = g.mark(it)
                lines.append('client = Client(%s=%s)' % (snake(it.name), (qv(it) % m)))
            elif lang == "env":
                lines += kv_line(c, it, "env")
            else:
                lines += kv_line(c, it, "sh")
        plants.append(["## Configuration", "", g.pick(["Set the credentials before running:",
                                                      "Example configuration used in production:",
                                                      "Quick start (copy into your shell):"]), "",
                       "```" + ("bash" if lang == "sh" else lang)] + lines + ["```"])
    body = shuffle_in(g, [g.pick(paras) for _ in range(g.r.randint(2, 4))], plants)
    return "\n".join(["# %s" % svc, "", "Service that handles %s %ss." % (g.pick(VERBS), g.pick(NOUNS)), ""]
                     + sum([b + [""] for b in body], []))


def build_k8s(c, groups):
    g = c.g
    svc = g.pick(SERVICES)
    kind = g.pick(["Deployment", "Secret", "ConfigMap"])
    if kind == "Deployment":
        env = []
        for grp in groups:
            for it in grp:
                if it.form == "pem":
                    env.append(["        - name: %s" % it.name, "          value: |",
                                "            " + pem_for(g, it, "indent", "            ")])
                else:
                    env.append(["        - name: %s" % it.name, "          value: %s" % yaml_scalar(it, g.mark(it))])
        filler = [["        - name: LOG_LEVEL", "          value: info"],
                  ["        - name: PORT", '          value: "8080"'],
                  ["        - name: DB_PASSWORD", "          valueFrom:", "            secretKeyRef:",
                   "              name: %s-db" % svc, "              key: password"]]
        env = shuffle_in(g, [g.pick(filler) for _ in range(2)], env)
        return "\n".join(["apiVersion: apps/v1", "kind: Deployment", "metadata:", "  name: %s" % svc,
                          "  labels:", "    app: %s" % svc, "spec:", "  replicas: %d" % g.r.randint(1, 5),
                          "  selector:", "    matchLabels:", "      app: %s" % svc, "  template:", "    metadata:",
                          "      labels:", "        app: %s" % svc, "    spec:", "      containers:",
                          "      - name: %s" % svc, "        image: registry.acme.io/%s:1.%d.%d" % (
                              svc, g.r.randint(0, 9), g.r.randint(0, 30)), "        env:"] + sum(env, [])) + "\n"
    data = []
    for grp in groups:
        for it in grp:
            data.append(yaml_lines(c, it, "  ", key=g.pick([snake(it.name), kebab(it.name), it.name])))
    filler = [["  LOG_LEVEL: info"], ['  FEATURE_FLAGS: "checkout,search"'], ["  region: %s" % g.pick(REGIONS)]]
    data = shuffle_in(g, [g.pick(filler) for _ in range(2)], data)
    return "\n".join(["apiVersion: v1", "kind: %s" % kind, "metadata:", "  name: %s-%s" % (
        svc, "credentials" if kind == "Secret" else "config"), "  namespace: %s" % g.pick(["prod", "default", svc])]
        + (["type: Opaque", "stringData:"] if kind == "Secret" else ["data:"]) + sum(data, [])) + "\n"


def build_helm(c, groups):
    g = c.g
    out = ["replicaCount: %d" % g.r.randint(1, 4), "image:", "  repository: registry.acme.io/%s" % g.pick(SERVICES),
           "  tag: \"1.%d.%d\"" % (g.r.randint(0, 9), g.r.randint(0, 30)), "  pullPolicy: IfNotPresent",
           "service:", "  type: ClusterIP", "  port: 80"]
    secs = {"config": [], "secrets": []}
    for grp in groups:
        s = g.pick(["config", "secrets", "secrets"])
        for it in grp:
            secs[s].append(yaml_lines(c, it, "  ", key=camel(it.name)))
    for s in ("config", "secrets"):
        if secs[s]:
            out += ["%s:" % s] + sum(secs[s], [])
    out += ["resources:", "  limits:", "    cpu: 500m", "    memory: 512Mi"]
    return "\n".join(out) + "\n"


def build_compose(c, groups):
    g = c.g
    svc = g.pick(SERVICES)
    env = []
    listform = g.chance(0.5)
    for grp in groups:
        for it in grp:
            if it.form == "pem":
                env.append(yaml_lines(c, it, "      ", key=it.name))
                listform = False
            else:
                m = g.mark(it)
                env.append(["      - %s=%s" % (it.name, m)] if listform else
                           ["      %s: %s" % (it.name, yaml_scalar(it, m))])
    filler = [["      - NODE_ENV=production"] if listform else ["      NODE_ENV: production"],
              ["      - PORT=8080"] if listform else ['      PORT: "8080"']]
    env = shuffle_in(g, list(filler), env)
    return "\n".join(["services:", "  %s:" % svc, "    build: .", "    ports:", '      - "8080:8080"',
                      "    environment:"] + sum(env, []) + ["  redis:", "    image: redis:7-alpine"]) + "\n"


def build_ci(c, groups):
    g = c.g
    ft = c.ft
    envs = []
    if ft != "jenkins":
        for grp in groups:
            for it in grp:
                envs.append(yaml_lines(c, it, "  " if ft != "ci-circle" else "          ", key=it.name))
    if ft == "ci-github":
        return "\n".join(["name: %s" % g.pick(["ci", "deploy", "release"]), "on:", "  push:", "    branches: [main]",
                          "env:"] + (sum(envs, []) or ["  CI: true"]) +
                         ["jobs:", "  build:", "    runs-on: ubuntu-latest", "    steps:",
                          "      - uses: actions/checkout@v4", "      - uses: actions/setup-node@v4",
                          "        with:", "          node-version: 20", "      - run: npm ci",
                          "      - run: npm test"]) + "\n"
    if ft == "ci-gitlab":
        return "\n".join(["stages: [build, test, deploy]", "variables:"] + (sum(envs, []) or ['  GIT_DEPTH: "10"'])
                         + ["build:", "  stage: build", "  image: node:20", "  script:", "    - npm ci",
                            "    - npm run build", "deploy:", "  stage: deploy", "  script:",
                            "    - ./scripts/deploy.sh", "  only: [main]"]) + "\n"
    if ft == "ci-circle":
        return "\n".join(["version: 2.1", "jobs:", "  build:", "    docker:", "      - image: cimg/node:20.11",
                          "        environment:"] + (sum(envs, []) or ["          CI: true"])
                         + ["    steps:", "      - checkout", "      - run: npm ci", "      - run: npm test",
                            "workflows:", "  main:", "    jobs: [build]"]) + "\n"
    # Jenkinsfile
    lines = []
    for grp in groups:
        for it in grp:
            if it.form == "pem":
                lines.append("        %s = '%s'" % (it.name, pem_for(g, it, "escaped")))
            else:
                lines.append("        %s = %s" % (it.name, (qv(it, "'") % g.mark(it)) if it.quoted else
                                                   "credentials('%s')" % kebab(it.name)))
    return "\n".join(["pipeline {", "    agent any", "    environment {"] + (lines or ["        CI = 'true'"])
                     + ["    }", "    stages {", "        stage('Build') {", "            steps {",
                        "                sh 'make build'", "            }", "        }", "    }", "}"]) + "\n"


# ==================================================================== file types

# ft -> (weight, family, path template fn, builder, max secrets per file, pem ok)
def P(g, *choices):
    return g.pick(choices)


FILE_TYPES = {
    "py": (14, "py", lambda g: P(g, "services/%s/app/%s.py", "src/%s/%s.py", "scripts/%s_%s.py", "tests/%s/test_%s.py")
           % (P(g, *SERVICES).replace("-", "_"), P(g, *NOUNS)), "code"),
    "js": (9, "js", lambda g: P(g, "web/src/%s/%s.js", "services/%s/lib/%s.js", "tools/%s/%s.js",
                                "web/src/%s/%s.test.js")
           % (P(g, *SERVICES), P(g, *NOUNS)), "code"),
    "ts": (9, "js", lambda g: P(g, "web/src/%s/%s.ts", "services/%s/src/%s.ts", "packages/%s/src/%s.ts",
                                "packages/%s/test/%s.spec.ts")
           % (P(g, *SERVICES), P(g, *NOUNS)), "code"),
    "go": (7, "go", lambda g: "services/%s/internal/%s/%s%s.go" % (P(g, *SERVICES), P(g, *NOUNS), P(g, *VERBS),
                                                                  P(g, "", "", "_test")), "code"),
    "java": (6, "java", lambda g: "services/%s/src/main/java/com/acme/%s/%sService.java" % (
        P(g, *SERVICES), P(g, *NOUNS), pascal(P(g, *NOUNS))), "code"),
    "rb": (5, "rb", lambda g: P(g, "app/models/%s_%s.rb", "config/initializers/%s_%s.rb", "lib/%s/%s.rb")
           % (P(g, *SERVICES).replace("-", "_"), P(g, *NOUNS)), "code"),
    "php": (5, "php", lambda g: P(g, "app/Services/%s%s.php", "config/%s_%s.php") % (
        pascal(P(g, *SERVICES)), pascal(P(g, *NOUNS))), "code"),
    "yaml": (5, "config", lambda g: P(g, "config/%s.yaml" % P(g, *SERVICES), "services/%s/config/%s.yaml" % (
        P(g, *SERVICES), P(g, "production", "staging", "base"))), "yaml"),
    "yml": (4, "config", lambda g: P(g, "config/%s.yml" % P(g, *SERVICES), "deploy/%s/values.yml" % P(g, *SERVICES),
                                     "ansible/group_vars/%s.yml" % P(g, "prod", "staging", "all")), "yaml"),
    "json": (5, "config", lambda g: P(g, "config/%s.json" % P(g, *SERVICES), "services/%s/appsettings.json" % P(g, *SERVICES),
                                      "web/src/config/%s.json" % P(g, *NOUNS)), "json"),
    "xml": (3, "config", lambda g: P(g, "services/%s/src/main/resources/applicationContext.xml" % P(g, *SERVICES),
                                     "legacy/%s/Web.config" % P(g, *SERVICES), "android/app/src/main/res/values/%s.xml"
                                     % P(g, "strings", "secrets", "config"), "ci/maven/settings-%s.xml" % P(g, *SERVICES)), "xml"),
    "properties": (3, "config", lambda g: "services/%s/src/main/resources/application%s.properties" % (
        P(g, *SERVICES), P(g, "", "-prod", "-staging")), "properties"),
    "env": (4, "config", lambda g: P(g, "services/%s/.env" % P(g, *SERVICES), "services/%s/.env.production" % P(g, *SERVICES),
                                     ".env.%s" % P(g, "local", "staging", "production"), "deploy/%s.env" % P(g, *SERVICES)), "env"),
    "ini": (2, "config", lambda g: P(g, "config/%s.ini" % P(g, *SERVICES), "services/%s/setup.cfg" % P(g, *SERVICES)), "ini"),
    "toml": (2, "config", lambda g: P(g, "config/%s.toml" % P(g, *SERVICES), "services/%s/settings.toml" % P(g, *SERVICES)), "toml"),
    "sh": (4, "config", lambda g: "scripts/%s_%s.sh" % (P(g, *VERBS), P(g, *NOUNS)), "sh"),
    "dockerfile": (3, "config", lambda g: P(g, "services/%s/Dockerfile" % P(g, *SERVICES),
                                            "docker/%s.Dockerfile" % P(g, *SERVICES)), "dockerfile"),
    "tf": (3, "config", lambda g: "infra/terraform/%s/%s.tf" % (P(g, "prod", "staging", "shared"), P(g, *NOUNS)), "tf"),
    "tfvars": (2, "config", lambda g: "infra/terraform/%s/%s.tfvars" % (P(g, "prod", "staging"), P(g, "terraform", *SERVICES)), "tfvars"),
    "md": (4, "config", lambda g: P(g, "docs/%s.md" % P(g, *NOUNS), "services/%s/README.md" % P(g, *SERVICES)), "md"),
    "k8s": (4, "config", lambda g: "deploy/k8s/%s/%s.yaml" % (P(g, *SERVICES), P(g, "deployment", "secret", "configmap")), "k8s"),
    "helm": (2, "config", lambda g: "deploy/helm/%s/values%s.yaml" % (P(g, *SERVICES), P(g, "", "-prod")), "helm"),
    "compose": (2, "config", lambda g: P(g, "docker-compose.yml", "docker-compose.%s.yml" % P(g, "prod", "override"),
                                         "services/%s/docker-compose.yml" % P(g, *SERVICES)), "compose"),
    "ci-github": (2, "config", lambda g: ".github/workflows/%s.yml" % P(g, "ci", "deploy", "release", "nightly", *SERVICES), "ci"),
    "ci-gitlab": (1, "config", lambda g: P(g, ".gitlab-ci.yml", "ci/%s.gitlab-ci.yml" % P(g, *SERVICES)), "ci"),
    "ci-circle": (1, "config", lambda g: P(g, ".circleci/config.yml", "services/%s/.circleci/config.yml" % P(g, *SERVICES)), "ci"),
    "jenkins": (1, "config", lambda g: P(g, "Jenkinsfile", "services/%s/Jenkinsfile" % P(g, *SERVICES)), "ci"),
}

NO_PEM = {"dockerfile", "ini"}


def build_file(g, ft, groups, path):
    w, fam, _, builder = FILE_TYPES[ft]
    c = Ctx(g, ft, fam)
    c.path = path
    if builder == "code":
        return build_code(c, groups)
    if builder == "yaml":
        return build_yaml(c, groups)
    if builder == "json":
        return build_json(c, groups)
    if builder == "xml":
        return build_xml(c, groups)
    if builder in ("env", "properties", "sh", "dockerfile", "tfvars"):
        return build_flat(c, groups, builder)
    if builder in ("ini", "toml"):
        return build_sectioned(c, groups, builder)
    if builder == "tf":
        return build_tf(c, groups)
    if builder == "md":
        return build_md(c, groups)
    if builder == "k8s":
        return build_k8s(c, groups)
    if builder == "helm":
        return build_helm(c, groups)
    if builder == "compose":
        return build_compose(c, groups)
    if builder == "ci":
        return build_ci(c, groups)
    raise ValueError(builder)


# ==================================================================== special files

def special_files(g, kinds):
    """(path, text-with-markers) of files whose shape is fixed: key files, credential files, lockfiles..."""
    out = []
    kd = {k[1]: k for k in kinds}

    def sec(kind):
        return kd[kind][4](g)

    # private key files
    for path, kind in (("deploy/keys/id_rsa", "rsa-private-key"), ("ops/ssh/id_ed25519", "openssh-private-key"),
                       ("services/gateway/certs/server.key", "pkcs8-private-key"),
                       ("infra/certs/ec-signing.pem", "ec-private-key"), ("certs/%s.key" % g.pick(SERVICES),
                                                                          "rsa-private-key")):
        it = sec(kind)[0]
        out.append((path, g.mark(it) + "\n"))
    # public key / certificate files (decoys)
    for path, k in (("deploy/keys/id_rsa.pub", "ssh"), ("certs/ca.crt", "certificate"),
                    ("services/auth/keys/jwt-public.pem", "public-key-pem"), ("certs/server.crt", "certificate")):
        if k == "ssh":
            it = D("public-key", "ssh-public-key", ssh_pub(g), "", "private-key")
        else:
            it = D("public-key", k, public_pem(g, k), "", "private-key", form="pem")
        out.append((path, g.mark(it) + "\n"))
    # authorized_keys: several ssh public keys
    out.append(("ops/ssh/authorized_keys", "\n".join(
        g.mark(D("public-key", "ssh-public-key", ssh_pub(g), "", "private-key")) for _ in range(3)) + "\n"))
    # aws credentials file
    a, b = aws_pair(g)
    out.append(("ops/aws/credentials", "[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = %s\n"
                % (g.mark(a), g.mark(b), g.pick(REGIONS))))
    # npmrc / pypirc / docker config
    out.append((".npmrc", "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=%s\n"
                "always-auth=true\n" % g.mark(sec("npm-token")[0])))
    out.append(("web/.npmrc", "//registry.npmjs.org/:_authToken=%s\n" % g.mark(D(
        "placeholder", "variable-reference", "${NPM_TOKEN}", "NPM_TOKEN", "registries"))))
    out.append(("services/search/.pypirc", "[distutils]\nindex-servers =\n    pypi\n\n[pypi]\nusername = __token__\n"
                "password = %s\n" % g.mark(sec("pypi-token")[0])))
    pat = sec("dockerhub-pat")[0]
    auth = base64.b64encode(("acmebuild:" + pat.value).encode()).decode()
    dc = S("registries", "docker-config-auth", auth, "auth")
    out.append(("ci/docker/config.json", '{\n  "auths": {\n    "https://index.docker.io/v1/": {\n      "auth": "%s"\n'
                "    }\n  }\n}\n" % g.mark(dc)))
    # GCP service account
    pk = private_key(g, "pkcs8-private-key")
    it = S("cloud", "gcp-service-account-key", pk, "private_key", form="pem")
    it.file_value = pk.replace("\n", "\\n") + "\\n"
    proj = "%s-%s-%d" % (g.pick(SERVICES), g.pick(["prod", "data", "ml"]), g.r.randint(100000, 999999))
    kid = N("gcp-private-key-id", g.hexs(40), "private_key_id", "cloud")
    doc = ['{', '  "type": "service_account",', '  "project_id": "%s",' % proj,
           '  "private_key_id": "%s",' % g.mark(kid), '  "private_key": "%s",' % g.mark(it),
           '  "client_email": "deployer@%s.iam.gserviceaccount.com",' % proj,
           '  "client_id": "%s",' % g.digits(21, 21), '  "auth_uri": "https://accounts.google.com/o/oauth2/auth",',
           '  "token_uri": "https://oauth2.googleapis.com/token",',
           '  "auth_provider_x509_cert_url": "https://www.googleapis.com/oauth2/v1/certs",',
           '  "client_x509_cert_url": "https://www.googleapis.com/robot/v1/metadata/x509/deployer%%40%s.iam.'
           'gserviceaccount.com",' % proj, '  "universe_domain": "googleapis.com"', '}']
    it.span = (1, len(doc))
    out.append(("deploy/gcp/%s-sa.json" % g.pick(SERVICES), "\n".join(doc) + "\n"))
    # .env.example full of placeholders
    lines = []
    for n, t in g.r.sample(SECRETISH_NAMES, 8):
        v = g.pick(["", "your-%s" % kebab(n), "<%s>" % n, "changeme", "xxxxxxxxxxxxxxxx", "REPLACE_ME"])
        if v == "":
            lines.append("%s=" % n)
        else:
            lines.append("%s=%s" % (n, g.mark(D("placeholder", "literal-placeholder", v, n, t))))
    out.append((".env.example", "# Copy to .env and fill in\n" + "\n".join(lines) + "\n"))
    # locale files (i18n decoys)
    msgs = [("password", "Password"), ("password_confirmation", "Confirm password"), ("forgot_password",
            "Forgot your password?"), ("api_token", "API token"), ("token_expired", "Your session has expired"),
            ("secret_question", "Security question"), ("reset_password", "Reset password")]
    out.append(("config/locales/en.yml", "en:\n  auth:\n" + "\n".join(
        "    %s: %s" % (k, g.mark(D("i18n", "label", v, k, "generic"))) for k, v in msgs) + "\n"))
    out.append(("web/src/i18n/en.json", "{\n" + ",\n".join(
        '  "%s": "%s"' % (camel(k.upper()), g.mark(D("i18n", "label", v + ":", k, "generic"))) for k, v in msgs)
        + "\n}\n"))
    out.append(("services/auth/src/main/resources/messages.properties", "\n".join(
        "auth.%s=%s" % (k.replace("_", "."), g.mark(D("i18n", "label", v, k, "generic"))) for k, v in msgs) + "\n"))
    # lockfiles (hash decoys)
    pk_lines = ["{", '  "name": "web",', '  "version": "1.0.0",', '  "lockfileVersion": 3,', '  "requires": true,',
                '  "packages": {']
    pkgs = g.r.sample(["lodash", "react", "react-dom", "axios", "express", "debug", "ms", "chalk", "commander",
                       "semver", "uuid", "yargs", "zod", "dayjs", "qs", "ws", "cookie", "jsonwebtoken", "bcryptjs",
                       "dotenv"], 12)
    for i, p in enumerate(pkgs):
        ver = "%d.%d.%d" % (g.r.randint(1, 9), g.r.randint(0, 20), g.r.randint(0, 15))
        integ = "sha512-" + base64.b64encode(hashlib.sha512(g.rbytes(32)).digest()).decode()
        pk_lines += ['    "node_modules/%s": {' % p, '      "version": "%s",' % ver,
                     '      "resolved": "https://registry.npmjs.org/%s/-/%s-%s.tgz",' % (p, p, ver),
                     '      "integrity": "%s"' % g.mark(D("hash", "sha512-integrity", integ, "integrity", "generic")),
                     "    }" + ("," if i < len(pkgs) - 1 else "")]
    pk_lines += ["  }", "}"]
    out.append(("web/package-lock.json", "\n".join(pk_lines) + "\n"))
    ylines = ["# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.", "# yarn lockfile v1", ""]
    for p in g.r.sample(["lodash", "minimist", "chalk", "supports-color", "has-flag", "escape-string-regexp"], 5):
        ver = "%d.%d.%d" % (g.r.randint(1, 9), g.r.randint(0, 20), g.r.randint(0, 15))
        integ = "sha512-" + base64.b64encode(hashlib.sha512(g.rbytes(32)).digest()).decode()
        ylines += ['%s@^%s:' % (p, ver), '  version "%s"' % ver,
                   '  resolved "https://registry.yarnpkg.com/%s/-/%s-%s.tgz#%s"' % (
                       p, p, ver, g.mark(D("hash", "sha1", hashlib.sha1(g.rbytes(8)).hexdigest(), "resolved", "generic"))),
                   '  integrity %s' % g.mark(D("hash", "sha512-integrity", integ, "integrity", "generic")), ""]
    out.append(("tools/lint/yarn.lock", "\n".join(ylines)))
    glines = []
    for mod in g.r.sample(["github.com/google/uuid", "github.com/spf13/viper", "golang.org/x/sync",
                           "github.com/stretchr/testify", "go.uber.org/zap", "github.com/gorilla/mux"], 4):
        ver = "v%d.%d.%d" % (g.r.randint(0, 2), g.r.randint(0, 20), g.r.randint(0, 9))
        for suffix in ("", "/go.mod"):
            h = "h1:" + base64.b64encode(hashlib.sha256(g.rbytes(16)).digest()).decode()
            glines.append("%s %s%s %s" % (mod, ver, suffix, g.mark(D("hash", "go-sum-h1", h, "", "generic"))))
    out.append(("services/gateway/go.sum", "\n".join(glines) + "\n"))
    clines = ["# This file is automatically @generated by Cargo.", "version = 3", ""]
    for crate in g.r.sample(["serde", "tokio", "regex", "memchr", "anyhow", "clap", "rand"], 4):
        ver = "%d.%d.%d" % (g.r.randint(0, 2), g.r.randint(0, 40), g.r.randint(0, 20))
        clines += ["[[package]]", 'name = "%s"' % crate, 'version = "%s"' % ver,
                   'source = "registry+https://github.com/rust-lang/crates.io-index"',
                   'checksum = "%s"' % g.mark(D("hash", "sha256", hashlib.sha256(g.rbytes(16)).hexdigest(), "checksum",
                                                "generic")), ""]
    out.append(("tools/cli/Cargo.lock", "\n".join(clines)))
    # GitHub workflow pinned by SHA with secrets references
    sha1 = hashlib.sha1(g.rbytes(9)).hexdigest()
    sha2 = hashlib.sha1(g.rbytes(9)).hexdigest()
    wf = ["name: publish", "on:", "  release:", "    types: [published]", "jobs:", "  publish:",
          "    runs-on: ubuntu-latest", "    steps:",
          "      - uses: actions/checkout@%s # v4" % g.mark(D("git-sha", "git-sha", sha1, "uses", "generic")),
          "      - uses: actions/setup-node@%s # v4" % g.mark(D("git-sha", "git-sha", sha2, "uses", "generic")),
          "        with:", "          registry-url: https://registry.npmjs.org", "      - run: npm publish",
          "        env:", "          NODE_AUTH_TOKEN: %s" % g.mark(D("placeholder", "variable-reference",
                                                                       "${{ secrets.NPM_TOKEN }}", "NODE_AUTH_TOKEN",
                                                                       "registries"))]
    out.append((".github/workflows/publish.yml", "\n".join(wf) + "\n"))
    # docker-compose for local development with test values
    out.append(("dev/docker-compose.yml", "\n".join([
        "services:", "  postgres:", "    image: postgres:16", "    environment:",
        "      POSTGRES_USER: postgres",
        "      POSTGRES_PASSWORD: %s" % g.mark(D("test-value", "weak-test-value", "postgres", "POSTGRES_PASSWORD", "generic")),
        "    ports:", '      - "5432:5432"', "  rabbitmq:", "    image: rabbitmq:3-management", "    environment:",
        "      RABBITMQ_DEFAULT_PASS: %s" % g.mark(D("test-value", "weak-test-value", "guest", "RABBITMQ_DEFAULT_PASS",
                                                     "generic")),
        "  app:", "    build: ..", "    environment:",
        "      DATABASE_URL: %s" % g.mark(D("test-value", "local-dev-url", "postgres://postgres:postgres@postgres:5432/app",
                                            "DATABASE_URL", "database"))]) + "\n"))
    # test fixtures with test values
    out.append(("tests/fixtures/users.json", json.dumps([
        {"username": "alice", "password": g.mark(D("test-value", "weak-test-value", "password123", "password", "generic"))},
        {"username": "bob", "password": g.mark(D("test-value", "weak-test-value", "test", "password", "generic"))},
        {"username": "admin", "password": g.mark(D("test-value", "weak-test-value", "admin", "password", "generic"))},
    ], indent=2) + "\n"))
    # .gitignore (ignores nothing that is planted)
    out.append((".gitignore", "node_modules/\n__pycache__/\n*.pyc\ndist/\nbuild/\n.venv/\ncoverage/\n"))
    # html/css with base64 images
    out.append(("web/public/index.html", '<!doctype html>\n<html>\n<head>\n  <meta charset="utf-8">\n'
                '  <link rel="icon" href="%s">\n  <title>Acme</title>\n</head>\n<body>\n  <div id="root"></div>\n'
                '</body>\n</html>\n' % g.mark(D("base64-image", "png-data-uri", tiny_png(g), "icon", "generic"))))
    out.append(("web/src/styles/app.css", ".logo {\n  width: 24px;\n  background-image: url(%s);\n}\n\n"
                ".spinner {\n  background: url(%s) no-repeat;\n}\n" % (
                    g.mark(D("base64-image", "png-data-uri", tiny_png(g), "logo", "generic")),
                    g.mark(D("base64-image", "png-data-uri", tiny_png(g), "spinner", "generic")))))
    return out


# ==================================================================== config-file leaks (issue 8)
# Passwords in real config files whatever their strength, credential groups, framework secret keys,
# punctuated and escaped literals, and the look-alikes that must stay quiet.

WEAK_WORDS = ["hunter", "dragon", "monkey", "sunshine", "letmein", "shadow", "qwerty", "football", "welcome",
              "summer", "winter", "autumn", "tigger", "charlie", "maria", "jordan", "ginger", "pepper", "buster",
              "soccer", "purple", "orange", "bluefish", "starwars", "mustang", "trustno", "ninja", "batman",
              "superman", "secure", "strong", "company", "acme", "office", "backend", "deploy", "rocket"]
WEAK_NAMES = ["DB_PASS", "DB_PASSWORD", "MYSQL_PASSWORD", "REDIS_PASSWORD", "MAIL_PASSWORD", "SMTP_PASS", "PG_PASS",
              "FTP_PASSWORD", "ADMIN_PASSWORD", "MYSQL_PWD", "LDAP_PASSWORD", "RABBITMQ_PASS", "SFTP_PASS",
              "EMAIL_HOST_PASSWORD", "DATABASE_PASSWORD", "MONGO_PASSWORD", "FTP_PW"]
# The README's weak-password policy, for labelling: local defaults are not reported, and neither are names.
LOCAL_DEFAULTS = {"postgres", "postgresql", "mysql", "mariadb", "root", "toor", "admin", "administrator", "guest",
                  "changeme", "changeit", "password", "passwd", "secret", "default", "foobared", "rabbitmq",
                  "minioadmin", "oracle", "tiger", "manager", "vagrant", "raspberry", "docker", "ubuntu", "test",
                  "testing", "demo", "user", "username", "localhost", "development"}


def weak_context(path):
    """Where the weak-password rules do not apply (README: tests, docs, examples, fixtures, translations)."""
    return bool(re.search(r"(^|/)(t|docs?|examples?|samples?|tests?|testdata|__tests__|spec|specs|fixtures?|"
                          r"mocks?|i18n|locales?|translations?)/|_test\.[a-z]+$|\.(test|spec)\.[a-z]+$|"
                          r"(^|/)test_[^/]*$|\.(md|rst|txt|html?)$", path, re.I))


def is_name_like(v):
    """An identifier or label (letters only): the README's policy drops these as values of password fields."""
    parts = re.split(r"[_.-]", v)
    if any(not p or not p.isalpha() or not p.isascii() for p in parts):
        return False
    if len(parts) >= 2:
        return v.lower() == v or v.upper() == v
    return (v[0].isupper() and v[1:].islower()) or bool(re.fullmatch(r"[a-z]+(?:[A-Z][a-z]{2,})+|(?:[A-Z][a-z]{2,}){2,}", v))


def has_word(v, word):
    """`word` as a word of v: one casing, bounded by non-letters or camel-case humps (README policy)."""
    for m in re.finditer(word, v, re.I):
        t, i, j = m.group(0), m.start(), m.end()
        if not (t.islower() or t.isupper() or t.istitle()):
            continue
        left = i == 0 or not v[i - 1].isalpha() or (v[i - 1].islower() and not t.islower()) \
            or (v[i - 1].isupper() and t.isupper() and len(t) >= 6)
        right = j == len(v) or not v[j].isalpha() or (v[j].isupper() and (not t.isupper() or len(t) >= 6))
        if left and right:
            return True
    return False


def weak_is_reportable(v):
    lower = v.lower()
    return (len(v) >= 6 and lower not in LOCAL_DEFAULTS and not v.isdigit() and not is_name_like(v)
            and not any(w in lower for w in ("your", "xxxx", "change_me", "change-me"))
            and not any(has_word(v, w) for w in ("example", "sample", "dummy", "placeholder", "changeme", "todo",
                                                 "redacted", "fixme", "insert", "replaceme", "test", "fake", "mock")))


def weak_password(g):
    """A password a person chose: words, a year, a digit or two, a symbol, leetspeak."""
    while True:
        w, w2, k = g.pick(WEAK_WORDS), g.pick(WEAK_WORDS), g.r.random()
        if k < 0.25:
            v = w + str(g.r.randint(1, 99))
        elif k < 0.45:
            v = w.capitalize() + str(g.r.randint(2015, 2026)) + g.pick("!@#$")
        elif k < 0.6:
            v = "".join(LEET.get(c, c) if g.chance(0.5) else c for c in w + w2) + str(g.r.randint(1, 9))
        elif k < 0.7:
            v = g.pick(["admin", "root", "user", "dbuser", "postgres"]) + g.pick(["123", "1234", "2024", "!", "@123"])
        elif k < 0.8:
            v = w + w2
        else:
            v = w.capitalize() + w2.capitalize() + str(g.r.randint(1, 99))
        if weak_is_reportable(v) and len(v) <= 40:
            return v


def punctuated_password(g, lo=12, hi=24, avoid="\"'\\`"):
    """A generated password drawing on all punctuation (what code-like filters mistake for code)."""
    pool = ALNUM + "".join(c for c in "!#$%&()*+,-./:;<=>?@[]^_{|}~" if c not in avoid)
    while True:
        v = g.s(pool, g.r.randint(lo, hi))
        if (sum(c in string.punctuation for c in v) >= 3 and any(c in DIGITS for c in v) and v[0] in ALNUM
                and v[-1] in ALNUM):
            return v


def django_key(g):
    return g.s(LOWER + DIGITS + "!@#$%^&*(-_=+)", 50)


def wp_salt(g):
    return g.s(ALNUM + "!@#$%^&*()-_ []{}<>~+=,.;:/?|", 64).strip() + g.s(ALNUM, 1)


def group_password(g):
    return weak_password(g) if g.chance(0.5) else g.password(12, 20)


def config_leak_files(g):
    """(path, text-with-markers): config files as people commit them, and the look-alikes (issue 8)."""
    P_ = lambda cat, kind, v, n: g.mark(S(cat, kind, v, n))
    Nm = lambda kind, v, n: g.mark(N(kind, v, n, "password"))
    Dm = lambda cat, kind, v, n, t="generic": g.mark(D(cat, kind, v, n, t))
    host = lambda: g.pick(["db.internal", "10.0.%d.%d" % (g.r.randint(0, 9), g.r.randint(2, 250)),
                           "mysql-prod.%s.internal" % g.pick(SERVICES), "pg.%s.svc.cluster.local" % g.pick(SERVICES)])
    user = lambda: g.pick(["app", "forge", "svc_" + g.pick(SERVICES), "webuser", "etl", "deploy"])
    files = []
    svc = g.pick(SERVICES)
    files.append(("%s/%s/settings.py" % (svc, svc), "\n".join([
        "import os", "from pathlib import Path", "", "BASE_DIR = Path(__file__).resolve().parent.parent", "",
        "# SECURITY WARNING: keep the secret key used in production secret!",
        "SECRET_KEY = '%s'" % P_("framework", "django-secret-key", django_key(g), "SECRET_KEY"), "",
        "DEBUG = False", "ALLOWED_HOSTS = ['%s.acme.io']" % svc, "",
        "LLM_SECRET_NAME = \"%s\"" % Dm("name", "secret-name", "-".join(
            [g.pick(["NEXUS", "ORION", "ATLAS", "HELIX"]), g.pick(["GPT4", "LLM", "CLAUDE", "EMBED"]), "API", "KEY"]),
            "LLM_SECRET_NAME"),
        "DATABASES = {", "    'default': {", "        'ENGINE': 'django.db.backends.postgresql',",
        "        'NAME': '%s'," % svc, "        'USER': '%s'," % Nm("db-user", user(), "USER"),
        "        'PASSWORD': '%s'," % P_("password", "credential-group", group_password(g), "PASSWORD"),
        "        'HOST': '%s'," % Nm("db-host", host(), "HOST"), "        'PORT': '5432',", "    }", "}", "",
        "EMAIL_HOST = 'smtp.%s'" % g.pick(["sendgrid.net", "mailgun.org", "office365.com"]),
        "EMAIL_HOST_USER = 'noreply@acme.io'",
        "EMAIL_HOST_PASSWORD = '%s'" % P_("password", "punctuated-literal", punctuated_password(g), "EMAIL_HOST_PASSWORD"),
        ""])))
    keys = "\n".join("define( '%s', %s'%s' );" % (k, " " * (17 - len(k)), P_("framework", "wordpress-key", wp_salt(g), k))
                     for k in ("AUTH_KEY", "SECURE_AUTH_KEY", "LOGGED_IN_KEY", "NONCE_KEY", "AUTH_SALT",
                               "SECURE_AUTH_SALT", "LOGGED_IN_SALT", "NONCE_SALT"))
    files.append(("%s/wp-config.php" % g.pick(["public_html", "www", "site"]), "\n".join([
        "<?php", "/** The name of the database for WordPress */", "define( 'DB_NAME', 'wordpress' );",
        "define( 'DB_USER', '%s' );" % Nm("db-user", user(), "DB_USER"),
        "define( 'DB_PASSWORD', '%s' );" % P_("password", "credential-group", group_password(g), "DB_PASSWORD"),
        "define( 'DB_HOST', '%s' );" % Nm("db-host", host(), "DB_HOST"), "define( 'DB_CHARSET', 'utf8mb4' );", "",
        keys, "", "$table_prefix = 'wp_';", "define( 'WP_DEBUG', false );", ""])))
    files.append(("config/database.php", "\n".join([
        "<?php", "return [", "    'default' => 'mysql',", "    'connections' => [", "        'mysql' => [",
        "            'driver' => 'mysql',", "            'host' => '%s'," % Nm("db-host", host(), "host"),
        "            'database' => '%s'," % svc, "            'username' => '%s'," % Nm("db-user", user(), "username"),
        "            'password' => '%s'," % P_("password", "credential-group", weak_password(g), "password"),
        "        ],", "    ],", "];", ""])))
    files.append(("web/%s/db.js" % svc, "\n".join([
        "var pg = require('pg');", "var pg_host = \"%s\";" % Nm("db-host", host(), "pg_host"),
        "var pg_user = \"%s\";" % Nm("db-user", user(), "pg_user"),
        "var pg_pass = \"%s\";" % P_("password", "credential-group", weak_password(g), "pg_pass"),
        "var pool = new pg.Pool({ host: pg_host, user: pg_user, password: pg_pass });", "module.exports = pool;", ""])))
    files.append((g.pick(["backend/.env", ".env", "api/.env"]), "\n".join([
        "APP_NAME=Laravel", "APP_ENV=production",
        "APP_KEY=%s" % P_("framework", "laravel-app-key", "base64:" + g.b64(32), "APP_KEY"), "APP_DEBUG=false", "",
        "DB_CONNECTION=mysql", "DB_HOST=%s" % Nm("db-host", host(), "DB_HOST"), "DB_PORT=3306",
        "DB_DATABASE=%s" % svc, "DB_USERNAME=%s" % Nm("db-user", user(), "DB_USERNAME"),
        "DB_PASSWORD=%s" % P_("password", "weak-password", weak_password(g), "DB_PASSWORD"), "",
        "REDIS_HOST=127.0.0.1", "REDIS_PASSWORD=%s" % Dm("placeholder", "local-default", "null", "REDIS_PASSWORD"),
        "MAIL_MAILER=smtp", "MAIL_HOST=smtp.mailgun.org", "MAIL_USERNAME=postmaster@mg.acme.io",
        "MAIL_PASSWORD=%s" % P_("password", "weak-password", weak_password(g), "MAIL_PASSWORD"), ""])))
    files.append(("services/%s/src/main/resources/application-prod.properties" % svc, "\n".join([
        "server.port=8443",
        "spring.datasource.url=jdbc:mysql://%s:3306/%s" % (Nm("db-host", host(), "spring.datasource.url"), svc),
        "spring.datasource.username=%s" % Nm("db-user", user(), "spring.datasource.username"),
        "spring.datasource.password=%s" % P_("password", "credential-group", weak_password(g), "spring.datasource.password"),
        "spring.mail.password=%s" % Dm("placeholder", "variable-reference", "${MAIL_PASSWORD}", "spring.mail.password"),
        "management.endpoints.web.exposure.include=health", ""])))
    files.append(("config/database.yml", "\n".join([
        "default: &default", "  adapter: postgresql", "  encoding: unicode", "", "development:", "  <<: *default",
        "  database: app_development", "", "production:", "  <<: *default",
        "  host: %s" % Nm("db-host", host(), "host"), "  database: app_production",
        "  username: %s" % Nm("db-user", user(), "username"),
        "  password: %s" % P_("password", "credential-group", weak_password(g), "password"), ""])))
    files.append(("config/secrets.yml", "production:\n  secret_key_base: %s\n" % P_(
        "framework", "rails-secret-key-base", g.hexs(128), "secret_key_base")))
    files.append(("notebooks/%s_report.ipynb" % g.pick(NOUNS), json.dumps({"cells": [{
        "cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [], "source": [
            "import smtplib\n", "SMTP_HOST = \"smtp.office365.com\"\n", "SMTP_USER = \"reports@acme.io\"\n",
            "SMTP_PASSWORD = \"@@SMTPPW@@\"\n",
            "API_TOKEN = os.environ[\"API_TOKEN\"]\n"]}], "metadata": {}, "nbformat": 4, "nbformat_minor": 5},
        indent=1).replace("@@SMTPPW@@", P_("password", "escaped-literal", punctuated_password(g), "SMTP_PASSWORD")) + "\n"))
    files.append(("services/%s/appsettings.Production.json" % svc, json.dumps({
        "ConnectionStrings": {"Default": "Server=%s;Database=%s;User Id=%s;Password=@@PW@@;" % (host(), svc, user())},
        "Logging": {"LogLevel": {"Default": "Warning"}}}, indent=2).replace(
        "@@PW@@", P_("password", "connection-string", g.password(12, 20), "Password")) + "\n"))
    files.append(("deploy/docker-compose.prod.yml", "\n".join([
        "services:", "  db:", "    image: mysql:8", "    environment:",
        "      MYSQL_ROOT_PASSWORD: %s" % P_("password", "weak-password", weak_password(g), "MYSQL_ROOT_PASSWORD"),
        "      MYSQL_PASSWORD: %s" % Dm("placeholder", "variable-reference", "${MYSQL_PASSWORD}", "MYSQL_PASSWORD"), ""])))
    files.append(("symfony/.env", "APP_ENV=prod\nAPP_SECRET=%s\n" % P_("framework", "symfony-app-secret", g.hexs(32), "APP_SECRET")))
    files.append(("%s/app.py" % svc, "\n".join([
        "from flask import Flask", "app = Flask(__name__)",
        "app.secret_key = '%s'" % P_("framework", "flask-secret-key", g.s(ALNUM + "!#%&*+-", 32), "secret_key"), ""])))
    files.append(("web/server.js", "\n".join([
        "const session = require('express-session');", "app.use(session({", "  resave: false,",
        "  secret: '%s'," % P_("framework", "express-session-secret", g.s(ALNUM, 32), "secret"),
        "  saveUninitialized: true,", "}));", ""])))
    files.append(("logs/worker-%d.log" % g.r.randint(1, 9), "\n".join([
        "2024-05-0%d 10:12:01 INFO starting worker" % g.r.randint(1, 9),
        "2024-05-0%d 10:12:02 DEBUG connecting to %s (user=%s, password=%s)" % (
            g.r.randint(1, 9), host(), user(), P_("password", "punctuated-literal", punctuated_password(g, avoid="\"'\\`(),"), "password")),
        ""])))
    files.append(("config/app.ini", "\n".join([
        "[database]", "host = %s" % Nm("db-host", host(), "host"), "user = %s" % Nm("db-user", user(), "user"),
        "passwd = %s" % P_("password", "credential-group", weak_password(g), "passwd"), "", "[cache]", "ttl = 300", ""])))
    files.append(("legacy/%s/Web.config" % svc, "\n".join([
        "<configuration>", "  <connectionStrings>",
        "    <add name=\"Default\" connectionString=\"Data Source=%s;Initial Catalog=%s;User ID=%s;Password=%s;\" />" % (
            host(), svc, user(), P_("password", "connection-string", g.password(12, 18), "Password")),
        "  </connectionStrings>", "</configuration>", ""])))
    body = g.s(ALNUM, 9) + "Todo" + g.s(ALNUM, 17)
    files.append(("ops/%s/tokens.env" % svc, "GITHUB_TOKEN=%s\nDATABASE_URL=postgres://app:%s@%s:5432/app\n" % (
        P_("vcs", "github-pat", "ghp_" + body + crc32_b62(body), "GITHUB_TOKEN"),
        P_("database", "postgres-url-password", g.s(ALNUM, 6) + "todo" + g.s(ALNUM, 8), "DATABASE_URL"), host())))
    # passwords on command lines, in SQL and as call arguments; Go DSNs, Gradle and C literals
    files.append(("scripts/%s_backup.sh" % svc, "\n".join([
        "#!/bin/bash", "set -euo pipefail",
        "mysqldump -u%s -p%s --all-databases > /backup/all.sql" % (user(), P_("password", "command-line", weak_password(g), "-p")),
        "sshpass -p '%s' scp /backup/all.sql deploy@%s:/srv/" % (P_("password", "command-line", punctuated_password(g, avoid="\"'\\`$ "), "sshpass"), host()),
        "curl -u admin:%s https://jenkins.acme.io/job/deploy/build" % P_("password", "command-line", g.password(12, 20), "curl -u"),
        "mysql -u root -p\"$MYSQL_ROOT_PASSWORD\" -e 'show databases'",
        "sqlcmd -S %%DB_SERVER%% -U %%DB_USER%% -P %s -i schema.sql" % Dm("placeholder", "windows-variable", "%DB_PASSWORD%", "-P"),
        "echo \"$REGISTRY_PASSWORD\" | docker login -u ci --password-stdin registry.acme.io", ""])))
    files.append(("db/init/01-users.sql", "\n".join([
        "CREATE USER '%s'@'%%' IDENTIFIED BY '%s';" % (user(), P_("password", "sql-password", weak_password(g), "IDENTIFIED BY")),
        "ALTER USER postgres WITH PASSWORD '%s';" % P_("password", "sql-password", g.password(12, 20), "WITH PASSWORD"),
        "CREATE TABLE accounts (id serial PRIMARY KEY, email text, password varchar(255));", ""])))
    files.append(("%s/inc/db.php" % svc, "\n".join([
        "<?php",
        "$link = mysqli_connect(\"%s\", \"%s\", \"%s\", \"%s\");" % (host(), user(), P_("password", "password-argument", weak_password(g), "mysqli_connect"), svc),
        "$other = mysqli_connect($host, $user, getenv('DB_PASSWORD'), $db);", ""])))
    files.append(("%s/mailer.py" % svc, "\n".join([
        "import smtplib", "server = smtplib.SMTP('smtp.gmail.com', 587)",
        "server.login(\"alerts@acme.io\", \"%s\")" % P_("password", "password-argument", g.password(12, 20), "login"), ""])))
    files.append(("cmd/%s/main.go" % svc, "\n".join([
        "package main", "", "func open() (*sql.DB, error) {",
        "\treturn sql.Open(\"mysql\", \"%s:%s@tcp(%s:3306)/%s\")" % (user(), P_("database", "mysql-go-dsn", g.password(12, 20), "dsn"), host(), svc),
        "}", ""])))
    files.append(("android/app/build.gradle", "\n".join([
        "android {", "    signingConfigs {", "        release {", "            storeFile file(\"release.jks\")",
        "            storePassword \"%s\"" % P_("password", "weak-password", weak_password(g), "storePassword"),
        "            keyAlias \"upload\"", "        }", "        debug {",
        "            storePassword \"%s\"" % Dm("placeholder", "local-default", "android", "storePassword"),
        "        }", "    }", "}", ""])))
    files.append(("firmware/%s/secrets.h" % svc, "\n".join([
        "#define WIFI_SSID \"AcmeOffice\"",
        "#define WIFI_PASSWORD \"%s\"" % P_("password", "weak-password", weak_password(g), "WIFI_PASSWORD"),
        "#define PASSWORD_MAX_LEN 64", ""])))
    files.append(("deploy/%s.env" % svc, "\n".join([
        "DB_HOST=%s" % Nm("db-host", host(), "DB_HOST"), "DB_USER=%s" % Nm("db-user", user(), "DB_USER"),
        "DB_PASSWORD=%s" % P_("password", "credential-group", weak_password(g), "DB_PASSWORD"),
        "PASSWORD_RESET_URL=%s" % Dm("identifier", "setting-about-password", "https://acme.io/account/reset", "PASSWORD_RESET_URL"), ""])))
    files.append(("config/%s-refs.yml" % svc, "\n".join([
        "db_password: %s" % Dm("placeholder", "variable-reference", "$(DB_PASSWORD)", "db_password"),
        "smtp_password: \"%s\"" % Dm("placeholder", "variable-reference", "#{SmtpPassword}", "smtp_password"),
        "ldap_password: \"%s\"" % Dm("placeholder", "variable-reference", "__LDAP_PASSWORD__", "ldap_password"),
        "mq_password: \"%s\"" % Dm("placeholder", "encrypted-value", "ENC(%s)" % g.b64(18), "mq_password"),
        "api_password: !secret api_password",
        "password_hash_algorithm: %s" % Dm("identifier", "setting-about-password", "argon2", "password_hash_algorithm"), ""])))
    # look-alikes
    files.append(("config/locales/%s.yml" % g.pick(["de", "fr", "es"]), "\n".join([
        "de:", "  devise:", "    password: %s" % Dm("i18n", "label", g.pick(["Passwort", "Kennwort", "Contrasena"]), "password"),
        "    current_password: %s" % Dm("i18n", "label", g.pick(["Aktuelles", "Actuel"]), "current_password"), ""])))
    files.append(("app/views/sessions/new.html", "\n".join([
        "<form action=\"/session\" method=\"post\">",
        "  <input type=\"hidden\" name=\"authenticity_token\" value=\"%s\">" % Dm(
            "anti-forgery", "authenticity-token", g.b64(64), "authenticity_token"),
        "  <input type=\"hidden\" name=\"csrf_token\" value=\"%s\">" % Dm("anti-forgery", "csrf-token", g.hexs(40), "csrf_token"),
        "  <input type=\"password\" name=\"password\">", "</form>", ""])))
    files.append(("infra/%s/keyvault.yml" % svc, "keyVaultToStoreSecrets: %s\nregion: %s\n" % (
        Dm("name", "resource-name", "%s%d-%s-%d" % (g.pick(["cmp", "kv", "svc"]), g.r.randint(1, 9),
                                                    g.pick(["qat", "uat", "dev"]), g.r.randint(10 ** 9, 10 ** 10 - 1)),
           "keyVaultToStoreSecrets"), g.pick(REGIONS))))
    files.append(("src/%s/passwd.c" % svc, "/*\n * Each line: username:password:uid:gid:gecos:home:shell\n */\n"
                  "int parse_passwd_line(const char *line);\n"))
    files.append(("src/%s/metrics.py" % svc, "sumOfExposures = %s\n" % Dm(
        "identifier", "keyword-in-identifier", '"%s"' % g.s(ALNUM, 64), "sumOfExposures", "observability")))
    files.append(("t/t%04d-urlmatch.sh" % g.r.randint(1000, 9999), "check_url \"http://%s\"\n" % Dm(
        "test-value", "percent-encoded-url", "%%%X:%%%X@x.y/" % (g.r.randint(0x41, 0x5a), g.r.randint(0x41, 0x5a)),
        "url", "database")))
    files.append(("docs/payments.md", "\n".join([
        "# Payments", "", "Use the test key from Stripe's documentation:", "",
        "```", "STRIPE_SECRET_KEY=%s" % Dm("example-key", "stripe-docs-key", "sk_test_4eC39HqLyjWDarjtT1zdp7dc",
                                             "STRIPE_SECRET_KEY", "payments"),
        "AUTH_JWT=%s" % Dm("example-key", "jwt-io-example",
                           "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
                           ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c", "AUTH_JWT", "jwt"), "```", ""])))
    files.append(("tests/fixtures/%s.yml" % svc, "\n".join([
        "host: localhost", "user: test",
        "password: %s" % Dm("test-value", "weak-test-value", weak_password(g), "password"), ""])))
    files.append(("config/%s.yml" % g.pick(NOUNS), "\n".join([
        "password: %s" % Dm("placeholder", "masked", "********", "password"),
        "db_password: %s" % Dm("placeholder", "local-default", g.pick(["postgres", "changeme", "root"]), "db_password"),
        "password_field: %s" % Dm("identifier", "field-name", g.pick(["userPassword", "user_password"]), "password_field"),
        "smtp_pass: %s" % Dm("placeholder", "variable-reference", "%(smtp_pass)s", "smtp_pass"), ""])))
    g.r.shuffle(files)
    return [(g.unique_path(p), t) for p, t in files[:max(12, len(files) - g.r.randint(0, 8))]]


# ==================================================================== credential files and key material

CRED_WORDS = ["summer", "winter", "dragon", "monkey", "sunshine", "falcon", "harbor", "maple", "orange", "tiger",
              "rocket", "silver", "forest", "coffee", "pirate", "thunder"]


def cred_password(g):
    """A password as people save it in a client: usually generated, sometimes a word, a year and a symbol.
    Either is a real credential once it sits in a credential file."""
    if g.chance(0.3):
        return "%s%s%d%s" % (g.pick(CRED_WORDS).capitalize(), g.pick(CRED_WORDS), g.r.randint(2015, 2026),
                             g.pick(["!", "#", "", "$"]))
    return g.password(12, 22)


def credential_files(g):
    """(path, text) of well-known credential files (FTP/SFTP clients, IDE and database clients, mail, registry
    and cloud CLIs, server files, shell histories, VPN keys, SQL dumps), each with a freshly generated
    credential, plus the look-alikes those files also hold (template defaults, references, public keys)."""
    out = []
    C = "credential-file"

    def sec(kind, value, name):
        return g.mark(S(C, kind, value, name))

    def dec(cat, kind, value, name):
        return g.mark(D(cat, kind, value, name, C))

    user = lambda: g.pick(["deploy", "web", "backup", "ci", "admin", "shop", "joe"])
    host = lambda: "%s.%s.io" % (g.pick(["ftp", "sftp", "files", "www", "db", "mail"]), g.pick(["acme", "initech", "globex"]))

    def filezilla():
        v = base64.b64encode(cred_password(g).encode()).decode()
        return ("home/%s/.config/filezilla/sitemanager.xml" % user(), "\n".join([
            '<?xml version="1.0" encoding="UTF-8"?>', '<FileZilla3 version="3.66.4" platform="windows">',
            "    <Servers>", "        <Server>", "            <Host>%s</Host>" % host(), "            <Port>21</Port>",
            "            <Protocol>0</Protocol>", "            <User>%s</User>" % user(),
            '            <Pass encoding="base64">%s</Pass>' % sec("filezilla-password", v, "Pass"),
            "            <Logontype>1</Logontype>", "        </Server>", "    </Servers>", "</FileZilla3>"]) + "\n")

    def winscp():
        v = "A35C" + g.s("0123456789ABCDEF", 2 * g.r.randint(20, 34))
        return ("tools/WinSCP/WinSCP.ini", "\n".join([
            "[Sessions\\%s@%s]" % (user(), host()), "HostName=%s" % host(), "UserName=%s" % user(),
            "Password=%s" % sec("winscp-password", v, "Password"), "FSProtocol=5", ""]))

    def json_client(path, key):
        return lambda: (path % g.pick(["site", "web", "theme", "landing"]), "\n".join([
            "{", '    "host": "%s",' % host(), '    "user": "%s",' % user(), '    "port": 22,',
            '    "%s": "%s",' % (key, sec(key + "-in-client-config", cred_password(g), key)),
            '    "remote_path": "/var/www/"', "}"]) + "\n")

    def sublime_template():
        return ("tools/templates/sftp-config.json", "\n".join([
            "{", '    "type": "sftp",', '    "host": "example.com",', '    "user": "username",',
            '    "password": "%s",' % dec("placeholder", "template-default", "password", "password"),
            '    "remote_path": "/example/path/"', "}"]) + "\n")

    def jetbrains():
        v = "".join("df%02x" % g.r.randint(0xc0, 0xcf) for _ in range(g.r.randint(8, 14)))
        return ("project/.idea/dataSources.local.xml", "\n".join([
            '<?xml version="1.0" encoding="UTF-8"?>', '<project version="4">',
            '  <component name="dataSourceStorageLocal">', '    <data-source name="shop" uuid="%s">' % g.uuid4(),
            "      <user-name>%s</user-name>" % user(),
            "      <user-password>%s</user-password>" % sec("jetbrains-user-password", v, "user-password"),
            "    </data-source>", "  </component>", "</project>"]) + "\n")

    def dbeaver():
        return ("DBeaverData/workspace6/General/.dbeaver/data-sources.json", "\n".join([
            "{", '  "connections": {', '    "postgres-jdbc-%s": {' % g.hexs(12), '      "provider": "postgresql",',
            '      "save-password": true,', '      "configuration": {', '        "host": "%s",' % host(),
            '        "auth-properties": {', '          "userName": "%s",' % user(),
            '          "userPassword": "%s"' % sec("dbeaver-password", cred_password(g), "userPassword"),
            "        }", "      }", "    }", "  }", "}"]) + "\n")

    def robo3t():
        return ("home/%s/.3T/robo-3t/1.4.4/robo3t.json" % user(), "\n".join([
            "{", '    "connections": [', "        {", '            "credentials": [', "                {",
            '                    "databaseName": "admin",', '                    "userName": "%s",' % user(),
            '                    "userPassword": "%s"' % sec("robo3t-password", cred_password(g), "userPassword"),
            "                }", "            ],", '            "serverHost": "%s"' % host(), "        }", "    ]",
            "}"]) + "\n")

    def msmtprc():
        u = user()
        return ("home/%s/.msmtprc" % u, "\n".join([
            "defaults", "auth on", "tls on", "", "account work", "host smtp.acme.io", "user %s@acme.io" % u,
            "password %s" % sec("msmtp-password", cred_password(g), "password"), "", "account personal",
            "host smtp.globex.io", "passwordeval \"%s\"" % dec("reference", "command-reference",
                                                               "pass show mail/personal", "passwordeval"),
            "", "account default : work", ""]))

    def muttrc():
        return ("home/%s/.muttrc" % user(), "\n".join([
            'set imap_user = "joe@acme.io"', 'set imap_pass = "%s"' % sec("mutt-password", cred_password(g), "imap_pass"),
            'set folder = "imaps://imap.acme.io:993"', ""]))

    def fetchmailrc():
        return ("home/%s/.fetchmailrc" % user(), "set daemon 300\npoll mail.acme.io protocol imap username \"joe\" "
                "password \"%s\" ssl\n" % sec("fetchmail-password", cred_password(g), "password"))

    def boto():
        return ("home/%s/.boto" % user(), "\n".join([
            "[Credentials]", "gs_access_key_id = GOOG1E%s" % g.s(B32, 20),
            "gs_secret_access_key = %s" % sec("boto-secret", g.s(ALNUM + "+/", 40), "gs_secret_access_key"),
            "", "[Boto]", "https_validate_certificates = True", ""]))

    def yarnrc():
        return ("web/.yarnrc.yml", "\n".join([
            "nodeLinker: node-modules", "npmScopes:", "  acme:", '    npmRegistryServer: "https://npm.acme.io"',
            '    npmAuthIdent: "%s:%s"' % (user(), sec("yarn-auth-ident", g.word_password(), "npmAuthIdent")), ""]))

    def composer():
        return ("app/auth.json", "\n".join([
            "{", '    "http-basic": {', '        "repo.packagist.com": {', '            "username": "token",',
            '            "password": "%s"' % sec("composer-password", g.s(HEX, 40), "password"), "        }",
            "    }", "}"]) + "\n")

    def cargo():
        return ("home/%s/.cargo/credentials.toml" % user(),
                '[registry]\ntoken = "%s"\n' % sec("cargo-token", "cio" + g.s(ALNUM, 32), "token"))

    def gradle():
        return ("android/gradle.properties", "\n".join([
            "org.gradle.jvmargs=-Xmx2048m", "android.useAndroidX=true", "signing.keyId=%s" % g.s("0123456789ABCDEF", 8),
            "signing.password=%s" % sec("gradle-signing-password", cred_password(g), "signing.password"),
            "signing.secretKeyRingFile=/home/ci/.gnupg/secring.gpg", ""]))

    def keystore():
        return ("android/keystore.properties", "\n".join([
            "storeFile=../keys/upload.jks", "storePassword=%s" % sec("android-store-password", cred_password(g), "storePassword"),
            "keyAlias=upload", ""]))

    def nuget():
        return ("src/NuGet.Config", "\n".join([
            '<?xml version="1.0" encoding="utf-8"?>', "<configuration>", "  <packageSourceCredentials>", "    <acme>",
            '      <add key="Username" value="ci" />',
            '      <add key="ClearTextPassword" value="%s" />' % sec("nuget-password", g.s(LOWER + DIGITS, 52), "ClearTextPassword"),
            "    </acme>", "  </packageSourceCredentials>", "</configuration>"]) + "\n")

    def pipconf():
        return ("home/%s/.config/pip/pip.conf" % user(), "[global]\nindex-url = https://ci:%s@nexus.acme.io/repository/pypi/simple\n"
                % sec("pip-index-password", g.word_password(), "index-url"))

    def rclone():
        return ("home/backup/.config/rclone/rclone.conf", "\n".join([
            "[offsite]", "type = sftp", "host = %s" % host(), "user = backup",
            "pass = %s" % sec("rclone-pass", g.b64url(27), "pass"), ""]))

    def redis():
        return ("deploy/redis/redis.conf", "\n".join([
            "bind 0.0.0.0", "port 6379", "# requirepass %s" % dec("placeholder", "documented-default", "foobared", "requirepass"),
            "requirepass %s" % sec("redis-password", cred_password(g), "requirepass"), "maxmemory 256mb", ""]))

    def tomcat():
        return ("conf/tomcat-users.xml", "\n".join([
            '<?xml version="1.0" encoding="UTF-8"?>', '<tomcat-users xmlns="http://tomcat.apache.org/xml" version="1.0">',
            "<!--", '  <user username="admin" password="%s" roles="manager-gui"/>' % dec(
                "placeholder", "template-default", "<must-be-changed>", "password"), "-->",
            '  <role rolename="manager-script"/>',
            '  <user username="deployer" password="%s" roles="manager-script"/>' % sec("tomcat-password", cred_password(g), "password"),
            "</tomcat-users>"]) + "\n")

    def history():
        tok = "ghp_" + g.s(ALNUM, 30)
        tok += crc32_b62(tok[4:])
        return ("home/%s/.bash_history" % user(), "\n".join([
            "ls -la", "cd /srv/shop",
            "mysql -u root -p%s shop < dump.sql" % sec("history-mysql-password", g.word_password(), "mysql -p"),
            "mysql -u root -p%s shop" % dec("placeholder", "variable-reference", "$MYSQL_ROOT_PASSWORD", "mysql -p"),
            "export DEPLOY_TOKEN=%s" % sec("history-export-token", g.s(ALNUM, 32), "DEPLOY_TOKEN"),
            "curl -u admin:%s https://jenkins.acme.io/api/json" % sec("history-curl-password", g.word_password(), "curl -u"),
            "git status", ""]))

    def wireguard():
        return ("etc/wireguard/wg0.conf", "\n".join([
            "[Interface]", "Address = 10.8.0.2/24",
            "PrivateKey = %s" % sec("wireguard-private-key", g.b64(32), "PrivateKey"), "", "[Peer]",
            "PublicKey = %s" % dec("public-key", "wireguard-public-key", g.b64(32), "PublicKey"),
            "Endpoint = vpn.acme.io:51820", "AllowedIPs = 0.0.0.0/0", ""]))

    def openvpn():
        block = "\n".join(g.hexs(32) for _ in range(16))
        it = S(C, "openvpn-static-key", block, "tls-auth", form="pem")
        return ("vpn/%s.ovpn" % g.pick(["client", "office", "prod"]), "\n".join([
            "client", "dev tun", "proto udp", "remote vpn.acme.io 1194", "key-direction 1", "<tls-auth>",
            "-----BEGIN OpenVPN Static key V1-----", g.mark(it), "-----END OpenVPN Static key V1-----",
            "</tls-auth>", ""]))

    def shadow():
        h = "$6$%s$%s" % (g.s(ALNUM + "./", 8), g.s(ALNUM + "./", 86))
        return ("image/rootfs/etc/shadow", "\n".join([
            "root:%s:19750:0:99999:7:::" % sec("shadow-hash", h, "root"), "daemon:*:19750:0:99999:7:::",
            "nobody:*:19750:0:99999:7:::", ""]))

    def wpa():
        return ("boot/wpa_supplicant.conf", "\n".join([
            "ctrl_interface=DIR=/var/run/wpa_supplicant GROUP=netdev", "update_config=1", "", "network={",
            '    ssid="acme-office"', '    psk="%s"' % sec("wifi-psk", cred_password(g), "psk"), "    key_mgmt=WPA-PSK",
            "}", ""]))

    def sqldump():
        rows = []
        for i in range(1, 4):
            h = "$2y$10$" + g.s(ALNUM + "./", 53)
            rows.append("(%d,'%s@acme.io','%s')" % (i, g.pick(NOUNS), sec("sql-dump-bcrypt", h, "password")))
        laravel = "$2y$10$92IXUNpkjO0rOQ5byMi.Ye4oKoEa3Ro9llC/.og/at2.uheWG/igi"
        return ("backup/shop-%d.sql" % g.r.randint(2019, 2025), "\n".join([
            "-- MySQL dump 10.13  Distrib 8.0.36", "DROP TABLE IF EXISTS `users`;", "CREATE TABLE `users` (",
            "  `id` bigint unsigned NOT NULL AUTO_INCREMENT,", "  `email` varchar(255) NOT NULL,",
            "  `password` varchar(255) NOT NULL,", "  PRIMARY KEY (`id`)", ");", "INSERT INTO `users` VALUES"]
            + [r + ("," if i < len(rows) - 1 else ";") for i, r in enumerate(rows)]
            + ["INSERT INTO `seed_users` VALUES (1,'test@example.com','%s');"
               % dec("test-value", "documented-hash", laravel, "password"), ""]))

    def joomla():
        return ("public_html/configuration.php", "\n".join([
            "<?php", "class JConfig {", "\tpublic $dbtype = 'mysqli';", "\tpublic $host = 'localhost';",
            "\tpublic $user = 'joomla';", "\tpublic $password = '%s';" % sec("joomla-password", cred_password(g), "password"),
            "\tpublic $db = 'joomla';", "}", ""]))

    def vault_pass():
        return ("ansible/.vault_pass", sec("ansible-vault-password", g.s(ALNUM, 32), "vault_pass") + "\n")

    def tfrc():
        t = "%s.atlasv1.%s" % (g.s(ALNUM, 14), g.s(ALNUM, 67))
        return ("home/%s/.terraform.d/credentials.tfrc.json" % user(), "\n".join([
            "{", '  "credentials": {', '    "app.terraform.io": {',
            '      "token": "%s"' % sec("terraform-cli-token", t, "token"), "    }", "  }", "}"]) + "\n")

    def openrc():
        return ("ops/demo-openrc.sh", "\n".join([
            "export OS_AUTH_URL=https://keystone.acme.io:5000/v3", "export OS_USERNAME=demo",
            'echo "Please enter your OpenStack Password: "', "read -sr OS_PASSWORD_INPUT",
            "export OS_PASSWORD=%s" % dec("placeholder", "variable-reference", "$OS_PASSWORD_INPUT", "OS_PASSWORD"), ""]))

    builders = [filezilla, winscp, json_client("%s/sftp-config.json", "password"),
                json_client("%s/.ftpconfig", "pass"), json_client("%s/.remote-sync.json", "password"),
                json_client("%s/.vscode/sftp.json", "password"), sublime_template, jetbrains, dbeaver, robo3t,
                msmtprc, muttrc, fetchmailrc, boto, yarnrc, composer, cargo, gradle, keystore, nuget, pipconf,
                rclone, redis, tomcat, history, wireguard, openvpn, shadow, wpa, sqldump, joomla, vault_pass, tfrc,
                openrc]
    for b in g.r.sample(builders, min(len(builders), g.r.randint(24, 30))):
        path, text = b()
        out.append((g.unique_path(path), text))
    return out


KEY_NAME_PARTS = ["encryption", "signing", "master", "aes", "hmac", "private"]


def key_name(g, part):
    words = [part, "key"] if g.chance(0.6) else [g.pick(["data", "jwt", "session", "field", "backup"]), part, "key"]
    style = g.pick(["snake", "upper", "dotted", "kebab", "camel"])
    if style == "snake":
        return "_".join(words)
    if style == "upper":
        return "_".join(words).upper()
    if style == "dotted":
        return ".".join(words)
    if style == "kebab":
        return "-".join(words)
    return words[0] + "".join(w.capitalize() for w in words[1:])


def key_value(g):
    n = g.pick([16, 24, 32, 32, 64])
    return g.hexs(2 * n) if g.chance(0.4) else g.b64(n)


def key_material_files(g):
    """(path, text) of configuration and code that hold key material under key-like names (encryption.key,
    signingKey, AES_KEY, private_key, ...) with hex or base64 values of real key lengths, next to the
    look-alikes: public keys, digests and ids of keys, references and all-zero placeholders."""
    out = []
    C = "key-material"
    for i in range(g.r.randint(3, 5)):
        lines = []
        for _ in range(g.r.randint(1, 3)):
            name = key_name(g, g.pick(KEY_NAME_PARTS))
            lines.append((name, g.mark(S(C, "named-key-material", key_value(g), name))))
        # look-alikes in the same file
        pub = "%s.public.key" % g.pick(["encryption", "signing"])
        lines.append((pub, g.mark(D("public-key", "public-key-base64", g.b64(32), pub, C))))
        hname = g.pick(["encryption_key_sha256", "signing_key_fingerprint", "master_key_digest"])
        lines.append((hname, g.mark(D("hash", "key-digest", g.hexs(64), hname, C))))
        iname = g.pick(["master_key_id", "signing_key_id", "encryption_key_id"])
        lines.append((iname, g.mark(D("identifier", "key-id", g.hexs(32), iname, C))))
        if g.chance(0.5):
            lines.append(("ENCRYPTION_KEY", g.mark(D("placeholder", "variable-reference", "${ENCRYPTION_KEY}",
                                                     "ENCRYPTION_KEY", C))))
        else:
            lines.append(("aes_key", g.mark(D("placeholder", "all-zero-key", "0" * 32, "aes_key", C))))
        g.r.shuffle(lines)
        svc = g.pick(SERVICES)
        kind = g.pick(["properties", "yaml", "env", "py"])
        if kind == "properties":
            path, text = "services/%s/src/main/resources/crypto.properties" % svc, "\n".join(
                "%s=%s" % (n, m) for n, m in lines) + "\n"
        elif kind == "yaml":
            path, text = "config/%s-crypto.yaml" % svc, "crypto:\n" + "\n".join(
                '  %s: "%s"' % (n, m) for n, m in lines) + "\n"
        elif kind == "env":
            path, text = "deploy/%s.env" % svc, "\n".join(
                "%s=%s" % (n.upper().replace(".", "_").replace("-", "_"), m) for n, m in lines) + "\n"
        else:
            path, text = "services/%s/app/crypto_settings.py" % svc.replace("-", "_"), "\n".join(
                ['"""Crypto settings."""', ""] + ['%s = "%s"' % (n.upper().replace(".", "_").replace("-", "_"), m)
                                                  for n, m in lines]) + "\n"
        out.append((g.unique_path(path), text))
    return out


# ==================================================================== main

def assemble(g, text, path):
    """Replace markers, record line numbers; returns final text."""
    out_lines = []
    for raw in text.split("\n"):
        line = raw
        while "@@PLANT" in line:
            i = line.index("@@PLANT")
            j = line.index("@@", i + 2) + 2
            key = line[i:j]
            it = g.marks[key]
            start = len(out_lines) + 1
            fv = it.file_value
            it.path, it.line, it.end_line = path, start, start + fv.count("\n")
            pre, post = line[:i], line[j:]
            parts = (pre + fv).split("\n")
            out_lines.extend(parts[:-1])
            line = parts[-1] + post
        out_lines.append(line)
    return "\n".join(out_lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--files", type=int, default=400,
                    help="number of files to write (default 400); at 80 or more, the credential-file and "
                         "key-material families add about 30 more")
    ap.add_argument("--out", required=True, help="output directory (the tree goes to OUT/repo)")
    ap.add_argument("--secret-file-ratio", type=float, default=0.4,
                    help="share of files that hold at least one secret (default 0.4)")
    a = ap.parse_args()
    g = Gen(a.seed)
    kinds = secret_kinds()
    files = []  # (path, text)
    specials = special_files(g, kinds) + config_leak_files(g) if a.files >= 80 else []
    files += specials
    n_rest = max(0, a.files - len(files))
    ft_names = list(FILE_TYPES)
    ft_weights = [FILE_TYPES[f][0] for f in ft_names]
    # how many of the remaining files carry secrets so that ~ratio of all files do
    special_with_secret = sum(1 for p, t in specials
                              if any(g.marks[k].secret for k in re.findall(r"@@PLANT\d+@@", t)))
    target_secret_files = max(0, round(a.secret_file_ratio * a.files) - special_with_secret)
    secret_flags = [True] * min(target_secret_files, n_rest) + [False] * max(0, n_rest - target_secret_files)
    g.r.shuffle(secret_flags)
    cat_weights = [k[2] for k in kinds]
    for has_secret in secret_flags:
        ft = g.r.choices(ft_names, ft_weights)[0]
        fam = FILE_TYPES[ft][1]
        for _ in range(8):
            path = FILE_TYPES[ft][2](g)
            if path not in g.used_paths:
                break
        path = g.unique_path(path)
        groups = []
        if has_secret:
            nsec = g.r.choices([1, 2, 3, 4, 6], [45, 28, 15, 8, 4])[0]
            if ft in ("dockerfile", "jenkins", "ci-circle"):
                nsec = min(nsec, 2)
            for _ in range(nsec):
                while True:
                    k = g.r.choices(kinds, cat_weights)[0]
                    if k[3] == "pem" and ft in NO_PEM:
                        continue
                    break
                groups.append(k[4](g))
        if g.chance(0.35):
            for _ in range(g.r.choices([1, 2, 3], [60, 30, 10])[0]):
                d = decoy(g, ft, fam, path)
                if d[0].form == "pem" and ft in NO_PEM:
                    continue
                groups.append(d)
        g.r.shuffle(groups)
        if weak_context(path):
            for it in (it for grp in groups for it in grp if it.kind == "weak-password"):
                it.secret, it.category, it.kind, it.target = False, "test-value", "weak-test-value", "password"
        files.append((path, build_file(g, ft, groups, path)))
    # Credential files and key material come from their own random stream, after the rest, so adding them
    # left every other file of a seed as it was.
    if a.files >= 80:
        main_stream, g.r = g.r, random.Random("credential-files-%d" % a.seed)
        files += credential_files(g) + key_material_files(g)
        g.r = main_stream
    # write
    repo = os.path.join(a.out, "repo")
    os.makedirs(repo, exist_ok=True)
    for path, text in files:
        final = assemble(g, text, path)
        full = os.path.join(repo, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        with open(full, "w", encoding="utf-8", newline="\n") as f:
            f.write(final)
    # verify and write truth/decoys
    problems = 0
    truth, decoys, done = [], [], set()
    for key, it in g.marks.items():
        if it.path is None or id(it) in done:
            continue
        done.add(id(it))
        with open(os.path.join(repo, it.path), encoding="utf-8") as f:
            lines = f.read().split("\n")
        first = it.file_value.split("\n")[0]
        if first not in lines[it.line - 1]:
            problems += 1
            print("generate.py: %s:%d does not hold %s" % (it.path, it.line, it.kind), file=sys.stderr)
        rec = {"path": it.path, "line": it.line, "end_line": it.end_line, "category": it.category, "kind": it.kind,
               "value": it.value}
        if it.span:
            rec["span"] = list(it.span)
        if it.secret:
            truth.append(rec)
        else:
            rec["target"] = it.target
            rec["neutral"] = it.neutral
            decoys.append(rec)
    order = lambda r: (r["path"], r["line"])
    with open(os.path.join(a.out, "truth.jsonl"), "w") as f:
        for r in sorted(truth, key=order):
            f.write(json.dumps(r, sort_keys=True) + "\n")
    with open(os.path.join(a.out, "decoys.jsonl"), "w") as f:
        for r in sorted(decoys, key=order):
            f.write(json.dumps(r, sort_keys=True) + "\n")
    secret_paths = {r["path"] for r in truth}
    print("generate.py: %d files (%d with secrets), %d secrets, %d decoys -> %s" % (
        len(files), len(secret_paths), len(truth), len(decoys), repo), file=sys.stderr)
    if problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
