"""Stacks: one per environment and layer, composed from constructs_lib (build them with stacks.app.build_app)."""
