"""The only module that talks to S3: fetching event bodies that travelled as claim checks."""

from typing import TYPE_CHECKING

from botocore.exceptions import ClientError

from fanout.contract.errors import MissingPayload
from fanout.contract.payloads import PayloadPointer

if TYPE_CHECKING:
    from types_aiobotocore_s3 import S3Client

GONE_CODES = frozenset({"NoSuchKey", "NoSuchBucket", "404"})


class PayloadStore:
    """Reads offloaded payloads (aiobotocore S3)."""

    def __init__(self, s3: "S3Client") -> None:
        self._s3 = s3

    async def fetch(self, pointer: PayloadPointer) -> bytes:
        """The stored body; MissingPayload when it is gone for good, other errors are transient."""
        try:
            response = await self._s3.get_object(Bucket=pointer.bucket, Key=pointer.key)
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "")
            if code in GONE_CODES:
                raise MissingPayload(f"offloaded payload {pointer.url} does not exist ({code})") from error
            raise
        async with response["Body"] as stream:
            return await stream.read()
