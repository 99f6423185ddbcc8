"""`gankit serve`: a web app over trained runs: "this digit does not exist", the latent walk, the "which is real?"
game (results in SQLite), a live GAN lab driven by gankit's training step, and inpainting. See docs/serve.md.

It needs the optional extra: `pip install gankit[serve]` (FastAPI and uvicorn).

  from gankit.serve.app import create_app
  app = create_app(["runs/digits"], data_dir="serve-data")    # any ASGI server runs it
"""
