from advisor.cli.launch import entry

if __name__ == "__main__":  # not when a --jobs worker process re-imports it (spawn, off Linux)
    entry()
