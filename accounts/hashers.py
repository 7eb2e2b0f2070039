"""Password hashes brought over from the Flask apps (Werkzeug's generate_password_hash), verified as they are.

Werkzeug stores "<method>$<salt>$<hex digest>", the method with its parameters: "scrypt:32768:8:1" (its
default since 2.3) or "pbkdf2:sha256:600000" (older apps). Django finds a hasher by the text before the
first "$", so an imported hash is kept behind a prefix naming the hasher here:
"werkzeug_scrypt$scrypt:32768:8:1$<salt>$<hex>", "werkzeug_pbkdf2$pbkdf2:sha256:600000$<salt>$<hex>"
(django_encoded_werkzeug_hash, which the Flask importer calls).

These hashers only verify: at the first successful sign-in Django hashes the password again with the first
of PASSWORD_HASHERS (Argon2) and saves it, and the Werkzeug hash is gone. Only hashes that carry every
parameter are recognised ("pbkdf2:sha256" alone means another iteration count in each Werkzeug version),
and parameters no Werkzeug would choose (scrypt costs that are not a power of 2 or need too much memory,
zero or millions of PBKDF2 iterations) are refused: such a hash is not imported, and never verifies.
"""

import hashlib
import re

from django.contrib.auth.hashers import BasePasswordHasher, mask_hash
from django.utils.crypto import constant_time_compare

# Werkzeug's salts are letters and digits (16 by default); the digest is lower-case hex.
WERKZEUG_HASH = re.compile(r"(?P<method>[a-z0-9:]+)\$(?P<salt>[A-Za-z0-9]{1,64})\$(?P<digest>[0-9a-f]+)")
SCRYPT_METHOD = re.compile(r"scrypt:(?P<n>[0-9]{1,8}):(?P<r>[0-9]{1,3}):(?P<p>[0-9]{1,3})")
PBKDF2_METHOD = re.compile(r"pbkdf2:(?P<digest_name>[a-z0-9]+):(?P<iterations>[0-9]{1,9})")

SCRYPT_DIGEST_LENGTH = 64  # bytes: hashlib.scrypt's default dklen, which Werkzeug keeps
SCRYPT_MAX_MEMORY = 256 * 1024 * 1024  # the memory Werkzeug reserves (132·n·r·p bytes); its default needs 35 MB
PBKDF2_DIGESTS = ("sha1", "sha224", "sha256", "sha384", "sha512")
PBKDF2_MAX_ITERATIONS = 5_000_000  # five times Werkzeug 3.1's default


def _scrypt_parameters(method: str) -> dict | None:
    match = SCRYPT_METHOD.fullmatch(method)
    if match is None:
        return None
    n, r, p = (int(match[name]) for name in ("n", "r", "p"))
    if n < 2 or n & (n - 1) or r < 1 or p < 1 or 132 * n * r * p > SCRYPT_MAX_MEMORY:
        return None
    return {"work_factor": n, "block_size": r, "parallelism": p}


def _pbkdf2_parameters(method: str) -> dict | None:
    match = PBKDF2_METHOD.fullmatch(method)
    if match is None or match["digest_name"] not in PBKDF2_DIGESTS:
        return None
    iterations = int(match["iterations"])
    if not 1 <= iterations <= PBKDF2_MAX_ITERATIONS:
        return None
    return {"digest_name": match["digest_name"], "iterations": iterations}


PARAMETERS = {"scrypt": _scrypt_parameters, "pbkdf2": _pbkdf2_parameters}


def _digest_length(parameters: dict) -> int:
    """Bytes in the digest: scrypt's dklen, or PBKDF2's hash size (its default dklen)."""
    if "digest_name" in parameters:
        return hashlib.new(parameters["digest_name"]).digest_size
    return SCRYPT_DIGEST_LENGTH


def _parse(werkzeug_hash: str) -> tuple[str, dict] | None:
    """("scrypt" or "pbkdf2", its decoded parts) for a Werkzeug hash with sane parameters, else None."""
    match = WERKZEUG_HASH.fullmatch(werkzeug_hash)
    if match is None:
        return None
    method = match["method"]
    kind = method.split(":", 1)[0]
    parse_parameters = PARAMETERS.get(kind)
    parameters = parse_parameters(method) if parse_parameters else None
    if parameters is None or len(match["digest"]) != 2 * _digest_length(parameters):
        return None
    return kind, {"salt": match["salt"], "hash": match["digest"], **parameters}


class WerkzeugPasswordHasher(BasePasswordHasher):
    """What both Werkzeug hashers share: they verify an imported hash, and never make one."""

    werkzeug_method = ""  # "scrypt" or "pbkdf2": the hashes of this hasher

    def encode(self, password, salt):
        raise NotImplementedError(
            f"{type(self).__name__} only verifies password hashes imported from a Flask app "
            "(accounts.hashers.django_encoded_werkzeug_hash); new passwords are hashed with the first hasher of "
            "PASSWORD_HASHERS."
        )

    def decode(self, encoded):
        algorithm, _, werkzeug_hash = encoded.partition("$")
        parsed = _parse(werkzeug_hash) if algorithm == self.algorithm else None
        if parsed is None or parsed[0] != self.werkzeug_method:
            raise ValueError(f"Not a {self.algorithm} hash, or one with parameters that are refused.")
        return {"algorithm": self.algorithm, **parsed[1]}

    def verify(self, password, encoded):
        try:
            decoded = self.decode(encoded)
            digest = self.digest(password.encode(), decoded)
        except (ValueError, MemoryError):  # an unrecognised hash, a password that is no UTF-8 (lone surrogates)
            return False
        return constant_time_compare(digest, decoded["hash"])

    def digest(self, password: bytes, decoded: dict) -> str:
        """The hex digest Werkzeug computes (werkzeug.security._hash_internal)."""
        raise NotImplementedError

    def safe_summary(self, encoded):
        # Django's own msgids, left unmarked: the admin's password widget translates them with Django's catalogue.
        try:
            decoded = self.decode(encoded)
        except ValueError:
            return {"algorithm": self.algorithm}
        return {
            **self.summary_parameters(decoded),
            "salt": mask_hash(decoded["salt"]),
            "hash": mask_hash(decoded["hash"]),
        }

    def summary_parameters(self, decoded: dict) -> dict:
        """The algorithm and its parameters, for safe_summary."""
        raise NotImplementedError

    def must_update(self, encoded):
        return True  # always replaced by the preferred hasher's hash at the first successful sign-in

    def harden_runtime(self, password, encoded):
        pass


class WerkzeugScryptPasswordHasher(WerkzeugPasswordHasher):
    """werkzeug_scrypt$scrypt:<n>:<r>:<p>$<salt>$<hex>: Werkzeug 2.3 and later."""

    algorithm = "werkzeug_scrypt"
    werkzeug_method = "scrypt"

    def digest(self, password, decoded):
        n, r, p = decoded["work_factor"], decoded["block_size"], decoded["parallelism"]
        salt = decoded["salt"].encode()
        return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=132 * n * r * p).hex()

    def summary_parameters(self, decoded):
        return {
            "algorithm": decoded["algorithm"],
            "work factor": decoded["work_factor"],
            "block size": decoded["block_size"],
            "parallelism": decoded["parallelism"],
        }


class WerkzeugPBKDF2PasswordHasher(WerkzeugPasswordHasher):
    """werkzeug_pbkdf2$pbkdf2:<hash>:<iterations>$<salt>$<hex>: older Werkzeug."""

    algorithm = "werkzeug_pbkdf2"
    werkzeug_method = "pbkdf2"

    def digest(self, password, decoded):
        salt = decoded["salt"].encode()
        return hashlib.pbkdf2_hmac(decoded["digest_name"], password, salt, decoded["iterations"]).hex()

    def summary_parameters(self, decoded):
        return {"algorithm": f"{decoded['algorithm']} ({decoded['digest_name']})", "iterations": decoded["iterations"]}


HASHERS = {hasher.werkzeug_method: hasher for hasher in (WerkzeugScryptPasswordHasher, WerkzeugPBKDF2PasswordHasher)}


def django_encoded_werkzeug_hash(value: str) -> str | None:
    """The hash as Django stores it ("werkzeug_scrypt$scrypt:32768:8:1$<salt>$<hex>") for a Werkzeug scrypt or
    PBKDF2 hash with all its parameters; None for anything else (another method, parameters missing or refused,
    not a hash at all)."""
    parsed = _parse(value) if isinstance(value, str) else None
    if parsed is None:
        return None
    return f"{HASHERS[parsed[0]].algorithm}${value}"
