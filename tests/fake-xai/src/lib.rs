//! A fake api.x.ai (being written).
