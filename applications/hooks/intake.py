"""Navigation, dashboard cards, audit labels and demo seeder of intake (called from AppConfig.ready)."""


def register():
    pass
