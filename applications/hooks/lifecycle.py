"""Navigation, dashboard cards, audit labels and demo seeder of lifecycle (called from AppConfig.ready)."""


def register():
    pass
