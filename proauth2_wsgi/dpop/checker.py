"""A server's DPoP (RFC 9449): verify a request's proof, then spend it, so that none is used twice.

:class:`DPoPChecker` puts together the :class:`~.proofs.ProofVerifier`
(signature and claims, §4.3), a :class:`~.replay.ProofReplay` (``jti``
uniqueness, §11.1: the DataStore for the provider, so every worker on every
machine shares it; bounded memory for a resource server without one) and,
when nonces are required, :class:`~.nonces.DPoPNonces` (§8, §9).
"""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import InvalidDPoPProof
from .nonces import DPoPNonces
from .proofs import DPoPProof, ProofVerifier
from .replay import MemoryReplayCache, ProofReplay, replay_key

__all__ = ["DPoPChecker"]


class DPoPChecker:
    """Check DPoP proofs for one server: :meth:`verify` a proof, then :meth:`remember` it once it did its job."""

    def __init__(
        self,
        verifier: ProofVerifier | None = None,
        replay: ProofReplay | None = None,
        nonces: DPoPNonces | None = None,
    ) -> None:
        self.verifier = verifier or ProofVerifier()
        self.replay: ProofReplay = replay if replay is not None else MemoryReplayCache()
        self.nonces = nonces

    def __repr__(self) -> str:
        return f"<DPoPChecker algs={' '.join(self.algorithms)} replay={type(self.replay).__name__}>"

    @property
    def algorithms(self) -> tuple[str, ...]:
        """The JWS algorithms proofs may use (``dpop_signing_alg_values_supported``, the ``algs`` challenge)."""
        return self.verifier.algorithms

    def verify(self, proof: str, *, method: str, urls: Sequence[str], access_token: str | None = None) -> DPoPProof:
        """The verified proof for a request to one of ``urls`` (with ``access_token``: its ``ath`` too)."""
        return self.verifier.verify(proof, method=method, urls=urls, access_token=access_token, nonces=self.nonces)

    def remember(self, proof: DPoPProof) -> None:
        """Spend ``proof``: :class:`InvalidDPoPProof` when it was spent before, here or in another worker."""
        expires_at = int(proof.iat) + self.verifier.max_age + 1  # past that, its iat refuses it anyway
        if not self.replay.first_use(replay_key(proof), expires_at):
            raise InvalidDPoPProof("the DPoP proof was used before (RFC 9449 section 11.1)")
