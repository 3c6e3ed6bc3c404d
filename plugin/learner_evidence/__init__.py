"""Evidence learners add themselves: files, links and their own account, stored as xAPI in our LRS."""
