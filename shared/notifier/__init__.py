"""The notifier role (issue 16): alert events -> webhook and email, with flood control."""
