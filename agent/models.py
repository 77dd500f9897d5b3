"""Model backends: any OpenAI-compatible chat endpoint from settings, or the offline planner.

OpenAI, Azure OpenAI (its /openai/v1 endpoint), Ollama, vLLM and a llama.cpp server all speak the
same Chat Completions protocol; the openai client retries rate limits, time-outs and server
errors with exponential backoff. The API key comes only from the environment (the root reads it)."""

from __future__ import annotations

from dataclasses import dataclass

from langchain_core.language_models import BaseChatModel

from agent.offline.model import MODEL_NAME, OfflinePlanner
from common.errors import EMSError

OPENAI_URL = "https://api.openai.com/v1"


class ModelConfigError(EMSError):
    """The model settings are incomplete (a missing key or model name)."""


class ModelUnavailable(EMSError):
    """The model endpoint could not be reached, refused the key, or does not know the model."""


@dataclass(frozen=True)
class LlmSettings:
    """The model settings: an OpenAI-compatible endpoint and model, or neither (offline)."""

    base_url: str | None = None
    model: str | None = None
    api_key: str | None = None  # OPENAI_API_KEY, from the environment only
    timeout_s: float = 60.0
    max_retries: int = 3
    temperature: float = 0.0


@dataclass(frozen=True)
class Backend:
    model: BaseChatModel
    name: str
    endpoint: str | None  # None: the offline planner

    @property
    def offline(self) -> bool:
        return self.endpoint is None


def make_backend(llm: LlmSettings, model: str | None = None) -> Backend:
    """The chat model the settings ask for; `model` overrides EMS_LLM_MODEL ('offline' forces
    the built-in planner)."""
    name = model or llm.model
    if name in ("offline", MODEL_NAME) or (name is None and llm.base_url is None):
        return Backend(OfflinePlanner(), MODEL_NAME, None)
    if name is None:
        raise ModelConfigError(
            f"EMS_LLM_BASE_URL is set ({llm.base_url}) but no model is named: set "
            "EMS_LLM_MODEL (or --model), e.g. 'llama3.1' for Ollama"
        )
    if not llm.api_key and llm.base_url is None:
        raise ModelConfigError(
            f"EMS_LLM_MODEL={name} uses OpenAI's endpoint, which needs an API key: set "
            "OPENAI_API_KEY, or point EMS_LLM_BASE_URL at a local server (Ollama, vLLM, "
            "llama.cpp), or unset EMS_LLM_MODEL to use the offline model"
        )
    from langchain_openai import ChatOpenAI

    endpoint = llm.base_url or OPENAI_URL
    chat = ChatOpenAI(
        model=name,
        base_url=endpoint,
        # Local servers need no key, but the client insists on one.
        api_key=llm.api_key or "not-needed",
        timeout=llm.timeout_s,
        max_retries=llm.max_retries,
        temperature=llm.temperature,
        streaming=True,  # answers reach the chat page and Slack token by token
        stream_usage=True,
    )
    return Backend(chat, name, endpoint)


def explain(exc: BaseException, backend: Backend) -> ModelUnavailable | None:
    """A readable error for a failed model call, or None when it is not a model error."""
    import openai

    where = f"the model endpoint {backend.endpoint}"
    if isinstance(exc, openai.AuthenticationError):
        return ModelUnavailable(f"{where} refused the API key (HTTP 401): check OPENAI_API_KEY")
    if isinstance(exc, openai.NotFoundError):
        return ModelUnavailable(
            f"{where} does not know the model {backend.name!r}: check EMS_LLM_MODEL"
        )
    if isinstance(exc, openai.RateLimitError):
        return ModelUnavailable(
            f"{where} is rate-limiting us and the retries ran out: try again shortly, or raise "
            "EMS_LLM_MAX_RETRIES"
        )
    if isinstance(exc, openai.APITimeoutError):
        return ModelUnavailable(
            f"{where} did not answer in time: raise EMS_LLM_TIMEOUT_S or check the server"
        )
    if isinstance(exc, openai.APIConnectionError):
        return ModelUnavailable(
            f"cannot reach {where}: is the server running? Check EMS_LLM_BASE_URL, or unset "
            "it and EMS_LLM_MODEL to use the offline model"
        )
    if isinstance(exc, openai.APIStatusError):
        return ModelUnavailable(f"{where} answered HTTP {exc.status_code}: {exc.message}")
    return None
