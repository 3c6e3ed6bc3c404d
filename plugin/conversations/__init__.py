"""The conversation per unit between a learner and the course's assessors and coordinators, and what is new for
the learner (issue 21)."""
