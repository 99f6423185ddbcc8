"""The web app's routes, one APIRouter per page area; app.py includes them all."""
