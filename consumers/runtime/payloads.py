"""The only module that talks to S3: claim-check bodies, read (allow-listed, size-capped) and stored.

A pointer is followed only into an allowed bucket (by default the configured payload bucket), and
the object is streamed in chunks with a size cap, so a consumer's memory stays bounded whatever
the pointed-to object's size.
"""

from collections.abc import Iterable
from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fanout.contract.errors import ForbiddenPayload, MissingPayload, PayloadTooLarge
from fanout.contract.payloads import PayloadPointer

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

GONE_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "404"})
DEFAULT_MAX_PAYLOAD_BYTES = 8 * 1024 * 1024
CHUNK_BYTES = 256 * 1024


class PayloadStore:
    """Reads offloaded payloads from allowed buckets, and stores bodies (aiobotocore S3)."""

    def __init__(
        self,
        s3: "S3Client",
        allowed_buckets: Iterable[str] = (),
        max_bytes: int = DEFAULT_MAX_PAYLOAD_BYTES,
        bucket: str | None = None,
    ) -> None:
        self._s3 = s3
        self._allowed = frozenset(allowed_buckets)
        self._max_bytes = max_bytes
        self.bucket = bucket  # where this consumer may offload (dead-letter bodies too large to send)

    async def fetch(self, pointer: PayloadPointer) -> bytes:
        """The stored body. ForbiddenPayload outside the allow-list, PayloadTooLarge over the cap,
        MissingPayload when it is gone for good; other errors are transient."""
        if pointer.bucket not in self._allowed:
            raise ForbiddenPayload(f"bucket {pointer.bucket!r} is not an allowed payload bucket")
        try:
            response = await self._s3.get_object(Bucket=pointer.bucket, Key=pointer.key)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in GONE_CODES:
                raise MissingPayload(f"offloaded payload {pointer.url} does not exist ({code})") from error
            raise
        async with response["Body"] as stream:
            if response.get("ContentLength", 0) > self._max_bytes:
                raise self._too_large(pointer, response["ContentLength"])
            chunks: list[bytes] = []
            size = 0
            while chunk := await stream.read(CHUNK_BYTES):
                size += len(chunk)
                if size > self._max_bytes:
                    raise self._too_large(pointer, size)
                chunks.append(chunk)
        return b"".join(chunks)

    def _too_large(self, pointer: PayloadPointer, size: int) -> PayloadTooLarge:
        return PayloadTooLarge(f"offloaded payload {pointer.url} is over {self._max_bytes} bytes ({size}+)")

    async def store(self, pointer: PayloadPointer, body: str) -> None:
        """Put a body where `pointer` says (the caller sends the pointer only after this returned)."""
        await self._s3.put_object(
            Bucket=pointer.bucket, Key=pointer.key, Body=body.encode("utf-8"), ContentType="application/json"
        )
