LOAD <http://127.0.0.1:18799/plain-load>
