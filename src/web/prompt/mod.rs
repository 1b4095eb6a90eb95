//! The prompt UI: surveys and reward prompts rendered in a Shadow DOM root (see docs/prompts.md).
