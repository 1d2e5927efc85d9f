//! Submission: route, destination, key, announce, upload, submit (written by the lead).
