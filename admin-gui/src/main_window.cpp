#include "main_window.hpp"

#include <QHBoxLayout>
#include <QHeaderView>
#include <QInputDialog>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSplitter>
#include <QStatusBar>
#include <QTabWidget>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include "api_client.hpp"
#include "boot_log.hpp"
#include "machine_dialog.hpp"
#include "machine_model.hpp"
#include "views.hpp"

namespace bk::admin {

MainWindow::MainWindow(ApiClient& api, QWidget* parent) : QMainWindow(parent), api_(api) {
  setWindowTitle(tr("Bootkeeper"));
  model_ = new MachineModel(api_, this);
  table_ = new QTableView;
  table_->setModel(model_);
  table_->setSortingEnabled(true);
  table_->sortByColumn(MachineModel::hostname, Qt::AscendingOrder);
  table_->setSelectionBehavior(QAbstractItemView::SelectRows);
  table_->verticalHeader()->hide();
  table_->horizontalHeader()->setStretchLastSection(true);
  search_ = new QLineEdit;
  search_->setPlaceholderText(tr("Search MAC, host name, address or group"));
  search_->setClearButtonEnabled(true);
  auto* debounce = new QTimer(this);
  debounce->setSingleShot(true);
  debounce->setInterval(250);
  connect(search_, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
  connect(debounce, &QTimer::timeout, this, [this] { model_->set_search(search_->text().trimmed()); });

  auto* add = new QPushButton(tr("Add…"));
  auto* edit = new QPushButton(tr("Edit…"));
  auto* remove = new QPushButton(tr("Delete…"));
  auto* enable = new QPushButton(tr("Enable"));
  auto* disable = new QPushButton(tr("Disable"));
  auto* assign = new QPushButton(tr("Assign image…"));
  auto* group = new QPushButton(tr("Set group…"));
  auto* import = new QPushButton(tr("Import CSV…"));
  connect(add, &QPushButton::clicked, this, [this] {
    auto* d = new MachineDialog(api_, {}, this);
    d->setAttribute(Qt::WA_DeleteOnClose);
    connect(d, &MachineDialog::saved, model_, &MachineModel::refresh);
    d->open();
  });
  const auto edit_current = [this] {
    const auto rows = selected();
    if (rows.size() != 1) return;
    auto* d = new MachineDialog(api_, rows.first(), this);
    d->setAttribute(Qt::WA_DeleteOnClose);
    connect(d, &MachineDialog::saved, model_, &MachineModel::refresh);
    d->open();
  };
  connect(edit, &QPushButton::clicked, this, edit_current);
  connect(table_, &QTableView::doubleClicked, this, edit_current);
  connect(remove, &QPushButton::clicked, this, [this] {
    const auto rows = selected();
    if (rows.isEmpty()) return;
    if (QMessageBox::question(this, tr("Delete machines"),
                              tr("Delete %n machine(s)?", nullptr, static_cast<int>(rows.size()))) !=
        QMessageBox::Yes) {
      return;
    }
    for (const auto& m : rows) {
      api_.send("DELETE", "/api/v1/machines/" + QString::number(m.value("id").toInt()), QJsonValue(),
                [this](const Result&) { model_->refresh(); });
    }
  });
  connect(enable, &QPushButton::clicked, this, [this] { patch_selected({{"enabled", true}}); });
  connect(disable, &QPushButton::clicked, this, [this] { patch_selected({{"enabled", false}}); });
  connect(assign, &QPushButton::clicked, this, [this] {
    api_.get("/api/v1/images?limit=1000", [this](const Result& r) {
      QStringList names;
      for (const auto& v : r.object().value("items").toArray())
        names << v.toObject().value("name").toString();
      bool ok = false;
      const QString name = QInputDialog::getItem(this, tr("Assign image"), tr("Image"), names, 0, false, &ok);
      if (ok) patch_selected({{"image", name}});
    });
  });
  connect(group, &QPushButton::clicked, this, [this] {
    bool ok = false;
    const QString g = QInputDialog::getText(this, tr("Set group"), tr("Group"), QLineEdit::Normal, {}, &ok);
    if (ok) patch_selected({{"group", g}});
  });
  connect(import, &QPushButton::clicked, this, [this] {
    auto* w = new ImportWizard(api_, this);
    w->setAttribute(Qt::WA_DeleteOnClose);
    connect(w, &ImportWizard::imported, model_, &MachineModel::refresh);
    w->open();
  });

  preview_ = new PreviewPanel(api_);
  connect(table_->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
          [this](const QModelIndex& now) {
            preview_->show_machine(model_->machine(now.row()).value("mac").toString());
          });

  auto* buttons = new QHBoxLayout;
  for (auto* b : {add, edit, remove, enable, disable, assign, group, import})
    buttons->addWidget(b);
  buttons->addStretch();
  auto* total = new QLabel;
  connect(model_, &MachineModel::loaded, total,
          [this, total] { total->setText(tr("%n machine(s)", nullptr, model_->total())); });
  buttons->addWidget(total);
  auto* left = new QWidget;
  auto* ll = new QVBoxLayout(left);
  ll->setContentsMargins(0, 0, 0, 0);
  ll->addWidget(search_);
  ll->addWidget(table_);
  ll->addLayout(buttons);
  auto* split = new QSplitter;
  split->addWidget(left);
  split->addWidget(preview_);
  split->setStretchFactor(0, 3);
  split->setStretchFactor(1, 2);

  discovered_ = new DiscoveredView(api_);
  connect(discovered_, &DiscoveredView::registered, model_, &MachineModel::refresh);
  subnets_ = new ObjectsView(api_, "subnets",
                             {"name", "network", "gateway", "next_server", "pool", "default_image"});
  images_ =
      new ObjectsView(api_, "images", {"name", "kind", "boot_file", "kernel", "initrd", "size", "sha256"});
  log_ = new BootLog(api_);

  tabs_ = new QTabWidget;
  tabs_->addTab(split, tr("Machines"));
  tabs_->addTab(discovered_, tr("Discovered"));
  tabs_->addTab(subnets_, tr("Subnets"));
  tabs_->addTab(images_, tr("Images"));
  tabs_->addTab(log_, tr("Boot log"));
  setCentralWidget(tabs_);

  connection_ = new QLabel(api_.state_message().isEmpty() ? tr("not connected") : api_.state_message());
  statusBar()->addPermanentWidget(connection_);
  connect(&api_, &ApiClient::state_changed, this, [this](ApiClient::State s, const QString& message) {
    connection_->setText(message);
    connection_->setStyleSheet(s == ApiClient::State::connected ? "" : "color: #b00020");
  });
  resize(1200, 720);
}

void MainWindow::load() {
  model_->refresh();
  discovered_->refresh();
  subnets_->refresh();
  images_->refresh();
  log_->start();
}

QList<QJsonObject> MainWindow::selected() const {
  QList<QJsonObject> out;
  for (const auto& idx : table_->selectionModel()->selectedRows()) {
    const QJsonObject m = model_->machine(idx.row());
    if (!m.isEmpty()) out << m;
  }
  return out;
}

void MainWindow::patch_selected(const QJsonObject& fields) {
  const auto rows = selected();
  auto left = std::make_shared<int>(static_cast<int>(rows.size()));
  auto failures = std::make_shared<QStringList>();
  for (const auto& m : rows) {
    api_.send("PATCH", "/api/v1/machines/" + QString::number(m.value("id").toInt()), fields,
              [this, left, failures, name = m.value("hostname").toString()](const Result& r) {
                if (!r.ok()) *failures << name + ": " + r.detail;
                if (--*left == 0) {
                  model_->refresh();
                  if (!failures->isEmpty())
                    QMessageBox::warning(this, tr("Not changed"), failures->join('\n'));
                }
              });
  }
}

}  // namespace bk::admin
