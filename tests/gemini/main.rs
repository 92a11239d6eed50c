//! The Gemini client against the in-process Gemini stand-in, on every path (inline, Files API,
//! streaming) and every fault; the stand-in's wire fidelity from raw HTTP; and the official
//! `google-genai` Python SDK against the stand-in.

mod helpers;

mod body;
mod faults;
mod files_api;
mod inline;
mod sdk;
mod stand_in;
mod streaming;
