"""Navigation, dashboard cards, audit labels and demo seeder of preapplications (called from AppConfig.ready)."""


def register():
    pass
