"""DPoP, proof of possession of a key for each request (RFC 9449), sans I/O: plain values in, plain values out.

One module per concern:

- :mod:`.proofs` — a proof checked against its request (section 4.3), and the key's thumbprint;
- :mod:`.nonces` — stateless server nonces (sections 8 and 9);
- :mod:`.replay` — refusing a proof seen before (section 11.1);
- :mod:`.client` — :class:`DPoPKey`, the client's side: a key making proofs;
- :mod:`.checker` — :class:`DPoPChecker`, a server's verifier, replay check and nonces put together.
"""

from __future__ import annotations

from .checker import DPoPChecker as DPoPChecker
from .client import DPoPKey as DPoPKey
from .nonces import DEFAULT_NONCE_LEEWAY as DEFAULT_NONCE_LEEWAY
from .nonces import DEFAULT_NONCE_WINDOW as DEFAULT_NONCE_WINDOW
from .nonces import MIN_SECRET_LENGTH as MIN_SECRET_LENGTH
from .nonces import DPoPNonces as DPoPNonces
from .proofs import DEFAULT_ALGORITHMS as DEFAULT_ALGORITHMS
from .proofs import DEFAULT_LEEWAY as DEFAULT_LEEWAY
from .proofs import DEFAULT_MAX_AGE as DEFAULT_MAX_AGE
from .proofs import MAX_JTI_LENGTH as MAX_JTI_LENGTH
from .proofs import MAX_PROOF_LENGTH as MAX_PROOF_LENGTH
from .proofs import SUPPORTED_ALGORITHMS as SUPPORTED_ALGORITHMS
from .proofs import DPoPProof as DPoPProof
from .proofs import ProofVerifier as ProofVerifier
from .proofs import access_token_hash as access_token_hash
from .proofs import normalise_htu as normalise_htu
from .proofs import proof_value as proof_value
from .replay import DEFAULT_REPLAY_CACHE_SIZE as DEFAULT_REPLAY_CACHE_SIZE
from .replay import MemoryReplayCache as MemoryReplayCache
from .replay import ProofReplay as ProofReplay
from .replay import replay_key as replay_key

__all__ = [
    "DEFAULT_ALGORITHMS",
    "DEFAULT_LEEWAY",
    "DEFAULT_MAX_AGE",
    "DEFAULT_NONCE_LEEWAY",
    "DEFAULT_NONCE_WINDOW",
    "DEFAULT_REPLAY_CACHE_SIZE",
    "MAX_JTI_LENGTH",
    "MAX_PROOF_LENGTH",
    "MIN_SECRET_LENGTH",
    "SUPPORTED_ALGORITHMS",
    "DPoPChecker",
    "DPoPKey",
    "DPoPNonces",
    "DPoPProof",
    "MemoryReplayCache",
    "ProofReplay",
    "ProofVerifier",
    "access_token_hash",
    "normalise_htu",
    "proof_value",
    "replay_key",
]
