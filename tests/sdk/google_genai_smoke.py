"""Fidelity check: the official google-genai SDK (a client no one here wrote) against the
Gemini stand-in. Upload a file, poll it to ACTIVE, generate_content with a response schema and
the file part, delete the file, and see a 403 when getting it again.

Usage: python google_genai_smoke.py BASE_URL [IMAGE]
Exits non-zero with a message on the first thing that does not behave like Google's service.
"""

import json
import pathlib
import sys
import time

from google import genai
from google.genai import errors, types
from pydantic import BaseModel


class VideoPrompt(BaseModel):
    prompt: str
    camera: str


def main() -> None:
    base_url = sys.argv[1]
    here = pathlib.Path(__file__).resolve().parent
    image = sys.argv[2] if len(sys.argv) > 2 else str(here.parent / "fixtures" / "landscape.png")
    client = genai.Client(
        api_key="sdk-smoke-key",
        http_options=types.HttpOptions(base_url=base_url, api_version="v1beta", timeout=30_000),
    )

    uploaded = client.files.upload(
        file=image,
        config=types.UploadFileConfig(mime_type="image/png", display_name="smoke image"),
    )
    assert uploaded.name and uploaded.name.startswith("files/"), uploaded

    f = client.files.get(name=uploaded.name)
    deadline = time.monotonic() + 20
    while f.state == types.FileState.PROCESSING:
        assert time.monotonic() < deadline, "the file never turned ACTIVE"
        time.sleep(0.2)
        f = client.files.get(name=f.name)
    assert f.state == types.FileState.ACTIVE, f.state
    assert f.mime_type == "image/png", f.mime_type
    assert f.size_bytes == pathlib.Path(image).stat().st_size, f.size_bytes

    listed = [item.name for item in client.files.list()]
    assert f.name in listed, listed

    response = client.models.generate_content(
        model="gemini-3.8-flash",
        contents=[
            types.Part.from_uri(file_uri=f.uri, mime_type=f.mime_type),
            "Kamerastil: Drohnenflug\nFilmeffekt: Goldene Stunde",
        ],
        config=types.GenerateContentConfig(
            response_mime_type="application/json",
            response_schema=VideoPrompt,
            temperature=0.0,
            max_output_tokens=512,
        ),
    )
    parsed = response.parsed
    assert isinstance(parsed, VideoPrompt), (response.text, parsed)
    assert "Drohnenflug" in parsed.prompt and "Goldene Stunde" in parsed.prompt, parsed
    assert response.candidates[0].finish_reason == types.FinishReason.STOP
    assert response.usage_metadata.total_token_count > 0

    chunks = list(
        client.models.generate_content_stream(
            model="gemini-3.8-flash",
            contents=[types.Part.from_uri(file_uri=f.uri, mime_type=f.mime_type), "Kamerastil: Kranfahrt"],
            config=types.GenerateContentConfig(response_mime_type="application/json", response_schema=VideoPrompt),
        )
    )
    assert len(chunks) > 1, "a stream arrives in several chunks"
    streamed = json.loads("".join(chunk.text or "" for chunk in chunks))
    assert "Kranfahrt" in streamed["prompt"], streamed

    client.files.delete(name=f.name)
    try:
        client.files.get(name=f.name)
    except errors.ClientError as e:
        assert e.code == 403, (e.code, e.status)
        print(f"after delete: {e.code} {e.status}")
    else:
        raise AssertionError("the deleted file could still be read")

    print("google-genai", genai.__version__ if hasattr(genai, "__version__") else "?", "smoke test passed")


if __name__ == "__main__":
    main()
