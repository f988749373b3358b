"""Showing it: the Gradio app (app), answer and source cards (cards), the library tab (library), feedback
(feedback), and terminal rendering for the CLI (terminal)."""
